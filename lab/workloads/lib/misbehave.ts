// The misbehave switch every lab workload has: answer errors at a rate and/or
// answer slowly. Set at start from env (so `kubectl set env` is a realistic
// bad deploy) and changed at run time through the admin endpoint.
//   NIGHTSHIFT_ERROR_RATE   0..1, share of requests answered with an error (default 0)
//   NIGHTSHIFT_ERROR_STATUS HTTP status of those errors (default 500)
//   NIGHTSHIFT_DELAY_MS     extra milliseconds before every answer (default 0)
import { z } from 'zod';

export const misbehaveSchema = z.object({
  errorRate: z.coerce.number().min(0).max(1),
  errorStatus: z.coerce.number().int().min(400).max(599),
  delayMs: z.coerce.number().int().min(0).max(60_000),
});
export type Misbehave = z.infer<typeof misbehaveSchema>;

export const misbehavePatchSchema = misbehaveSchema.partial().strict();

export function misbehaveFromEnv(env: NodeJS.ProcessEnv): Misbehave {
  const parsed = misbehaveSchema.safeParse({
    errorRate: env.NIGHTSHIFT_ERROR_RATE || 0,
    errorStatus: env.NIGHTSHIFT_ERROR_STATUS || 500,
    delayMs: env.NIGHTSHIFT_DELAY_MS || 0,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new Error(
      `bad misbehave settings in env (NIGHTSHIFT_ERROR_RATE/_ERROR_STATUS/_DELAY_MS): ${lines.join('; ')}`,
    );
  }
  return parsed.data;
}

/** What to do with one request: how long to wait first, and whether to fail it. */
export function decide(m: Misbehave, random = Math.random): { delayMs: number; fail: boolean } {
  return { delayMs: m.delayMs, fail: m.errorRate > 0 && random() < m.errorRate };
}
