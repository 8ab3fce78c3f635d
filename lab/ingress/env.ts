// The ingress's settings, from its environment, parsed at its edge.
import { z } from 'zod';

export const INGRESS_LISTEN_ENV = 'NIGHTSHIFT_INGRESS_LISTEN';
export const INGRESS_SERVICE_ENV = 'NIGHTSHIFT_INGRESS_SERVICE';

const envSchema = z.object({
  NIGHTSHIFT_DATA_DIR: z.string().min(1),
  [INGRESS_LISTEN_ENV]: z
    .string()
    .regex(/^[\d.]+:\d+$/, 'expected <ipv4>:<port>')
    .transform((s) => ({ host: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) })),
  [INGRESS_SERVICE_ENV]: z
    .string()
    .regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'expected <namespace>/<service>')
    .transform((s) => ({ namespace: s.split('/')[0] ?? '', name: s.split('/')[1] ?? '' })),
  LOG_LEVEL: z.string().default('info'),
});

export type IngressEnv = z.infer<typeof envSchema>;

export function parseIngressEnv(env: NodeJS.ProcessEnv): IngressEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `the gateway ingress's environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
