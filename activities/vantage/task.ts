// What passes between the agent and its measuring helper, checked with zod
// on both sides: the task going in, the samples coming out.
import { z } from 'zod';

const resolverSchema = z.object({
  nameservers: z.array(z.string()).min(1),
  search: z.array(z.string()),
  ndots: z.number().int().min(0),
  timeoutSeconds: z.number().int().min(1),
  attempts: z.number().int().min(1),
  rotate: z.boolean(),
  singleRequest: z.boolean(),
  singleRequestReopen: z.boolean(),
  noAaaa: z.boolean(),
  ignored: z.array(z.string()),
});

const connectPlanSchema = z.object({
  targets: z.array(z.object({ name: z.string(), host: z.string(), port: z.number().int().min(1).max(65535) })),
  attempts: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  intervalMs: z.number().min(0),
  endBy: z.number().positive(),
});

export const lookupPlanSchema = z.object({
  resolver: resolverSchema,
  names: z.array(z.string().min(1)).min(1),
  lookups: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  lossAfterMs: z.number().positive(),
  endBy: z.number().positive(),
});

export const taskSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dns'), runs: z.array(z.object({ server: z.string(), plan: lookupPlanSchema })) }),
  z.object({ kind: z.literal('tcp'), plan: connectPlanSchema }),
]);

export type Task = z.infer<typeof taskSchema>;

const lookupSampleSchema = z.object({
  name: z.string(),
  ms: z.number(),
  outcome: z.enum(['NOERROR', 'NODATA', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'TIMEOUT', 'PENDING', 'ERROR']),
  answers: z.number(),
  answeredAs: z.string().optional(),
  queries: z.number(),
  lost: z.number(),
  unknown: z.number(),
  retries: z.number(),
  error: z.string().optional(),
});

export const dnsOutputSchema = z.object({
  runs: z.array(z.object({ server: z.string(), samples: z.array(lookupSampleSchema), selfMs: z.number().optional() })),
});

export const tcpOutputSchema = z.object({
  samples: z.array(
    z.object({
      target: z.string(),
      ms: z.number(),
      outcome: z.enum(['connected', 'refused', 'timeout', 'unreachable', 'error']),
      error: z.string().optional(),
    }),
  ),
});

// The agent's activity inputs: they come from a workflow, and a bad one is an input error, never retried.

const podSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  ip: z.string().min(1),
  node: z.string().min(1),
});

export const podDnsRequestSchema = z.object({
  pod: podSchema,
  names: z.array(z.string().min(1)).min(1),
  lookups: z.number().int().min(1).max(500),
  concurrency: z.number().int().min(1).max(50),
  lossAfterMs: z.number().positive(),
  servers: z.array(z.string().min(1)).optional(),
  endBy: z.number().positive(),
});

export const nodeConnectRequestSchema = connectPlanSchema;
export const podConnectRequestSchema = connectPlanSchema.extend({ pod: podSchema });
