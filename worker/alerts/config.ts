// The `alerts` config section: how Alertmanager notifications become runs.
import { z } from 'zod';
import { durationSchema } from '../../model/index.ts';
import { parseMatcher } from './matchers.ts';

const matcherSchema = z.string().superRefine((text, ctx) => {
  try {
    parseMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const alertRouteSchema = z.object({
  /** Alertmanager-style matchers; every one must hold. */
  matchers: z.array(matcherSchema).min(1),
  runbook: z.string().min(1),
  /** Run parameters; values may use ${labels.name} and ${annotations.name}. */
  params: z.record(z.string(), z.string()).default({}),
});

export const DEFAULT_ALERT_ROUTES = [
  {
    matchers: ['alertname="CheckoutErrorBudgetBurn"'],
    runbook: 'traffic-vanish',
    params: { namespace: '${labels.namespace}' },
  },
];

export const alertsSchema = z.object({
  /** One run per alert (fingerprint + firing episode) or per Alertmanager group. */
  dedupeBy: z.enum(['fingerprint', 'groupKey']).default('fingerprint'),
  maxNewRunsPerMinute: z.coerce.number().int().positive().default(20),
  /** The window the cap counts over (one minute; shorter only for tests). */
  rateWindow: durationSchema.default('1m'),
  maxBodyBytes: z.coerce.number().int().positive().default(1_048_576),
  /** Protect the endpoint with a bearer token, or basic auth; neither means open. */
  bearerToken: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  routes: z.array(alertRouteSchema).default(DEFAULT_ALERT_ROUTES),
});

export type AlertsConfig = z.infer<typeof alertsSchema>;
export type AlertRoute = z.infer<typeof alertRouteSchema>;

export const ALERT_ENV: Record<string, string[]> = {
  NIGHTSHIFT_ALERTS_TOKEN: ['alerts', 'bearerToken'],
  NIGHTSHIFT_ALERTS_USERNAME: ['alerts', 'username'],
  NIGHTSHIFT_ALERTS_PASSWORD: ['alerts', 'password'],
  NIGHTSHIFT_ALERTS_DEDUPE_BY: ['alerts', 'dedupeBy'],
  NIGHTSHIFT_ALERTS_MAX_RUNS_PER_MINUTE: ['alerts', 'maxNewRunsPerMinute'],
};
