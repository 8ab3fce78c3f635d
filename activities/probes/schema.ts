// The traffic probe's JSON (the lab's probe serves it; docs/lab.md), read
// with zod. Only what nightshift uses; extra fields pass through.
import { z } from 'zod';

const kinds = z.record(z.string(), z.number()).default({});

export const summarySchema = z
  .object({
    successRate: z.number().min(0).max(1),
    requests: z.number().int().nonnegative(),
    failures: z.number().int().nonnegative(),
    p50Ms: z.number().nonnegative(),
    p95Ms: z.number().nonnegative(),
    p99Ms: z.number().nonnegative(),
    failureKinds: kinds,
  })
  .loose();

export const seriesSchema = z
  .object({
    rows: z.array(
      z
        .object({
          t: z.number(),
          requests: z.number().nonnegative(),
          failures: z.number().nonnegative(),
          successRate: z.number().min(0).max(1),
          p95Ms: z.number().nonnegative(),
          failureKinds: kinds,
        })
        .loose(),
    ),
  })
  .loose();

export type ProbeSummary = z.infer<typeof summarySchema>;
export type ProbeSeries = z.infer<typeof seriesSchema>;
