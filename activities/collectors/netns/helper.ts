// Runs one measurement inside whatever network namespace it was started in
// (`nsenter --net=/run/netns/<name> node helper.ts '<json>'`) and prints the
// samples as one JSON line. Node built-ins, zod and pure modules only.
import { z } from 'zod';
import { sampleDns } from '../dns/sampler.ts';
import { sampleTcp } from './tcp.ts';

const taskSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('dns'),
    plan: z.object({
      servers: z.array(z.string()),
      names: z.array(z.string()).min(1),
      samples: z.number().int().positive(),
      timeoutMs: z.number().positive(),
      concurrency: z.number().int().positive(),
      type: z.enum(['A', 'AAAA', 'SRV', 'TXT']).optional(),
    }),
  }),
  z.object({
    kind: z.literal('tcp'),
    plan: z.object({
      targets: z.array(z.object({ name: z.string(), host: z.string(), port: z.number().int() })),
      attempts: z.number().int().positive(),
      timeoutMs: z.number().positive(),
      intervalMs: z.number().min(0),
      endBy: z.number().positive().optional(),
    }),
  }),
]);

const task = taskSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const samples = task.kind === 'dns' ? await sampleDns(task.plan) : await sampleTcp(task.plan);
process.stdout.write(`${JSON.stringify({ samples })}\n`);
