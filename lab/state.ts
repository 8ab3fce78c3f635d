// The lab's record of what it made, written as it makes it, so `lab down`
// can undo a lab that crashed half-way up. One JSON file, replaced atomically.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssues } from '../model/index.ts';
import { writeJsonAtomic } from './files.ts';
import { LabError } from './sh.ts';

const healthSchema = z.discriminatedUnion('kind', [
  /** Every URL must answer 2xx. */
  z.object({ kind: z.literal('http'), url: z.string(), also: z.array(z.string()).optional() }),
  /** HTTPS against the lab CA (the API server) or self-signed (the controller manager). */
  z.object({ kind: z.literal('https'), url: z.string(), ca: z.string().optional() }),
  z.object({ kind: z.literal('tcp'), host: z.string(), port: z.number().int() }),
  z.object({ kind: z.literal('alive') }),
]);
export type HealthCheck = z.infer<typeof healthSchema>;

export const processRecordSchema = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): guards against pid reuse. */
  startTime: z.number().int().nonnegative(),
  command: z.array(z.string()),
  /** Environment the lab added to its own (so the process can be restarted the same way). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  log: z.string(),
  netns: z.string().optional(),
  health: healthSchema,
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export const labStateSchema = z.object({
  version: z.literal(1),
  phase: z.enum(['starting', 'up', 'stopping']),
  startedAt: z.string(),
  upAt: z.string().optional(),
  dataDir: z.string(),
  temporal: z.object({ address: z.string(), startedByLab: z.boolean() }),
  /** nightshift runs from its chart, as pods (else as the lab's own worker and agent processes: --no-chart). */
  chart: z.boolean().default(false),
  processes: z.array(processRecordSchema),
  netns: z.array(z.string()),
  links: z.array(z.string()),
  /** Mount points the lab mounted (bpffs when it was not mounted). */
  mounts: z.array(z.string()),
  /** Optional kernel features found missing (the lab runs without them). */
  missingOptional: z.array(z.string()).default([]),
  /** Things a person should know about this lab (e.g. node agents not started). */
  notes: z.array(z.string()).default([]),
  /** Seconds each step of `lab up` took. */
  steps: z.array(z.object({ step: z.string(), seconds: z.number() })).default([]),
});
export type LabState = z.infer<typeof labStateSchema>;

export function readState(path: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LabError(`lab state ${path} is not JSON (${(err as Error).message}); run \`nightshift lab down\``);
  }
  const parsed = labStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LabError(`lab state ${path} is invalid: ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  return parsed.data;
}

export function writeState(path: string, state: LabState): void {
  writeJsonAtomic(path, state);
}

/** A state that is saved after every change. */
export class StateRecorder {
  readonly path: string;
  readonly state: LabState;

  constructor(path: string, state: LabState) {
    this.path = path;
    this.state = state;
    writeState(path, state);
  }

  update(change: (state: LabState) => void): void {
    change(this.state);
    writeState(this.path, this.state);
  }

  netns(name: string): void {
    this.update((s) => {
      if (!s.netns.includes(name)) s.netns.push(name);
    });
  }

  link(name: string): void {
    this.update((s) => {
      if (!s.links.includes(name)) s.links.push(name);
    });
  }

  process(record: ProcessRecord): void {
    this.update((s) => {
      s.processes = [...s.processes.filter((p) => p.name !== record.name), record];
    });
  }
}
