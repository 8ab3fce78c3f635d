// A game-day experiment as people write it (YAML), its zod schema, and the
// compiled form the game-day workflow runs. Pure: no file access here.
import { z } from 'zod';
import type { ActivityRef, Condition } from '../../runbooks/index.ts';
import { durationSchema, parseDuration } from '../../model/index.ts';
import { conditionSchema, idSchema } from '../../runbooks/index.ts';
import { valueSchema, type Value } from '../../model/index.ts';
import type { FaultInput } from '../fault/messages.ts';
import type { FaultSpec } from '../fault/spec.ts';

const probeCheck = z.strictObject({
  probe: z.string().min(1),
  params: z.record(z.string(), valueSchema).default({}),
  conditions: z.array(conditionSchema).min(1),
});

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A window when game days must not run: absolute, or weekly in a time zone. */
export const blackoutSchema = z.union(
  [
    z.strictObject({
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
      reason: z.string().optional(),
    }),
    z.strictObject({
      weekdays: z.array(z.enum(WEEKDAYS)).min(1),
      start: z.string().regex(HHMM, { error: 'expected a time like "09:00"' }),
      end: z.string().regex(HHMM, { error: 'expected a time like "17:30"' }),
      timezone: z.string().default('UTC'),
      reason: z.string().optional(),
    }),
  ],
  { error: 'expected a blackout {from, to} (ISO times) or {weekdays, start, end, timezone}' },
);

export type Blackout = z.infer<typeof blackoutSchema>;

export const experimentSchema = z.strictObject({
  name: idSchema,
  title: z.string().optional(),
  description: z.string().optional(),
  /** The fault to inject (see `nightshift fault inject`). */
  fault: z.record(z.string(), z.unknown()),
  /** Must hold before the fault and again after it. */
  steadyState: probeCheck.extend({ settle: durationSchema.default('60s') }),
  /** Any of these holding aborts the game day and reverts at once. */
  stopConditions: probeCheck.extend({ every: durationSchema.default('1s') }).optional(),
  expect: z.strictObject({
    runbook: z.string().min(1),
    hypothesis: z.string().min(1),
    within: durationSchema,
    /** The alert the game day raises, through the same path as Alertmanager's. */
    alert: z.strictObject({
      alertname: z.string().min(1),
      labels: z.record(z.string(), z.string()).default({}),
    }),
    /** Approve the runbook's top remediation as the game-day operator (unattended rehearsals). */
    autoApprove: z.boolean().default(false),
  }),
  notify: z.strictObject({ channel: z.string().optional() }).default({}),
  blackouts: z.array(blackoutSchema).default([]),
});

export type ExperimentDocument = z.infer<typeof experimentSchema>;

interface ProbeCheck {
  probe: ActivityRef;
  params: Record<string, Value>;
  conditions: Condition[];
}

export interface GamedayInput {
  experiment: { name: string; title: string };
  fault: FaultInput;
  steadyState: ProbeCheck & { settleMs: number };
  stopConditions?: ProbeCheck & { everyMs: number };
  expect: {
    runbook: string;
    hypothesis: string;
    withinMs: number;
    alert: { alertname: string; labels: Record<string, string> };
    autoApprove: boolean;
  };
  channel?: string;
  blackouts: Blackout[];
  /** Who or what started it: cli, slack, schedule. */
  trigger: { via: string; by: string };
  /** Skip blackout windows (a person starting it by hand, deliberately). */
  ignoreBlackouts?: boolean;
}

export function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

export type { FaultSpec };
