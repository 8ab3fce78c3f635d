// Step results arrive in the run status as `unknown`; these schemas read the
// parts the thread shows, and tolerate everything else.
import { z } from 'zod';

const findingSchema = z.object({
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  summary: z.string(),
  source: z.string(),
});

const collectorSchema = z.object({
  collector: z.string(),
  ok: z.boolean(),
  durationMs: z.number(),
  findings: z.array(findingSchema),
  error: z.string().optional(),
});

export const gatherResultSchema = z.object({ collectors: z.record(z.string(), collectorSchema) });
export type GatherView = z.infer<typeof gatherResultSchema>;
export type FindingView = z.infer<typeof findingSchema>;

const optionSchema = z.object({ id: z.string(), label: z.string(), destructive: z.boolean().optional() });

export const decideResultSchema = z.object({ choice: z.string(), options: z.array(optionSchema) });

const actionResultSchema = z.object({
  summary: z.string().optional(),
  skipped: z.string().optional(),
  action: z.string().optional(),
});

export function readGather(result: unknown): GatherView | undefined {
  const parsed = gatherResultSchema.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}

export function readDecide(result: unknown): z.infer<typeof decideResultSchema> | undefined {
  const parsed = decideResultSchema.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}

export function readAction(result: unknown): z.infer<typeof actionResultSchema> | undefined {
  const parsed = actionResultSchema.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}
