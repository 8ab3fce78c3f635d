// Reading the policy datapath's drop events: policy-helper follows the pinned
// ring buffer and prints one JSON line per drop. A ring buffer has one
// consumer position, so one reader per datapath: the process that reports
// drops (the Hubble stand-in) opens it by its pins with dropReader(), or the
// process that loaded it uses Datapath.watch.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { buildDatapath, DatapathError, POLICY_PINS } from './build.ts';

export const dropEventSchema = z.object({
  ktimeNs: z.number(),
  srcIdentity: z.number().int(),
  dstIdentity: z.number().int(),
  src: z.string(),
  dst: z.string(),
  sport: z.number().int(),
  dport: z.number().int(),
  proto: z.number().int(),
  reason: z.number().int(),
  /** Dropped on the endpoint's egress (it sent the packet) or ingress. */
  egress: z.boolean(),
  ifindex: z.number().int(),
  endpoint: z.number().int(),
  /** The TCP header's flags byte (0 for other protocols). */
  tcpFlags: z.number().int(),
});
export type DropEvent = z.infer<typeof dropEventSchema>;

/** Follow the ring buffer pinned at `ringPin`; resolves once the helper listens, with the function that stops it. */
export function readDrops(
  helper: string,
  ringPin: string,
  onEvent: (e: DropEvent) => void,
  onError: (err: Error) => void = () => undefined,
): Promise<() => void> {
  const child = spawn(helper, ['events', ringPin], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = () => void child.kill('SIGTERM');
  return new Promise((resolve, reject) => {
    let ready = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const json: unknown = JSON.parse(line);
      if (!ready) {
        ready = true;
        const parsed = z.object({ ready: z.literal(true) }).safeParse(json);
        if (parsed.success) resolve(stop);
        else reject(new DatapathError(`policy-helper: ${line}`));
        return;
      }
      const event = dropEventSchema.safeParse(json);
      if (event.success) onEvent(event.data);
      else onError(new DatapathError(`policy-helper printed ${line}`));
    });
    child.on('exit', (code) => {
      if (!ready) reject(new DatapathError(`policy-helper exited (${code}) before it was ready: ${stderr}`));
      else if (code !== 0 && code !== null) onError(new DatapathError(`policy-helper exited ${code}: ${stderr}`));
    });
  });
}

/** A reader of a datapath another process loaded, found by its pins. */
export function dropReader(o: { buildDir: string; pins?: string }): {
  watch(onEvent: (e: DropEvent) => void, onError?: (err: Error) => void): Promise<() => void>;
} {
  const ring = join(o.pins ?? POLICY_PINS, 'maps', 'events');
  return {
    async watch(onEvent, onError) {
      const { helper } = await buildDatapath(o.buildDir);
      return readDrops(helper, ring, onEvent, onError);
    },
  };
}
