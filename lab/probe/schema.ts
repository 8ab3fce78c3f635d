// The probe's JSON, shared by the probe server and its readers. This is the
// signal alerts, stop conditions, verify steps and reports read: change it
// only by adding fields. Documented in docs/lab.md.
import { z } from 'zod';

/** One completed second. `t` is the second (Unix seconds) in which the requests completed. */
export const probeRowSchema = z.object({
  t: z.number().int(),
  requests: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  /** successes / requests; 0 when there were no requests. */
  successRate: z.number().min(0).max(1),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  /** Failures by kind: `http-<status>`, `timeout`, `ECONNREFUSED`, `no-endpoints`, ... */
  failureKinds: z.record(z.string(), z.number().int()),
  /** The most frequent failures with what the answer said (`http-502: cart: timeout`), at most 10. */
  failureReasons: z.record(z.string(), z.number().int()).optional(),
});
export type ProbeRow = z.infer<typeof probeRowSchema>;

export const probeSummarySchema = z.object({
  successRate: z.number().min(0).max(1),
  requests: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  successes: z.number().int().nonnegative(),
  windowSeconds: z.number().int().positive(),
  /** First and last second of the window (Unix seconds, inclusive). */
  from: z.number().int(),
  to: z.number().int(),
  failureKinds: z.record(z.string(), z.number().int()),
  failureReasons: z.record(z.string(), z.number().int()).optional(),
  target: z.string(),
});
export type ProbeSummary = z.infer<typeof probeSummarySchema>;

export const probeSeriesSchema = z.object({
  target: z.string(),
  rows: z.array(probeRowSchema),
});
export type ProbeSeries = z.infer<typeof probeSeriesSchema>;

/** `10s`, `2m` or a bare number of seconds. */
export function parseSeconds(text: string): number | undefined {
  const match = /^(\d+)(s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const n = Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  return n > 0 ? n : undefined;
}
