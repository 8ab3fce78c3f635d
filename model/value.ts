// The values a runbook, a step call and a fault spec carry: JSON, and its zod
// schema. Pure: workflows, activities and the processes share it.
import { z } from 'zod';

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export const valueSchema: z.ZodType<Value> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(valueSchema), z.record(z.string(), valueSchema)]),
);
