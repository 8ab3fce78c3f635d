// Which loopback ports the host relay (main.ts) opens at HOST_IP, as one
// environment variable, parsed at its edge.
import { z } from 'zod';

export const RELAY_PORTS_ENV = 'NIGHTSHIFT_RELAY_PORTS';
export const RELAY_HOST_ENV = 'NIGHTSHIFT_RELAY_HOST';

const portsSchema = z
  .string()
  .min(1)
  .transform((text) => text.split(','))
  .pipe(z.array(z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(65_535))).min(1));

export function parseRelayPorts(text: string | undefined): number[] {
  const parsed = portsSchema.safeParse(text);
  if (!parsed.success)
    throw new Error(`${RELAY_PORTS_ENV}: expected comma-separated ports, got ${JSON.stringify(text)}`);
  return [...new Set(parsed.data)];
}
