// flowtap-helper (flowtap-helper.c next to this file): built here on first use
// with the system's libbpf (statically, like bpf/helper), then used to load
// flowtap and to stream its changed flows as JSON lines.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { tapLineSchema, type TapRecord } from './flowtap.ts';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./flowtap-helper.c', import.meta.url));

export class FlowtapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowtapError';
  }
}

/** The helper binary in `buildDir`, (re)built when missing or older than its source. */
export async function helperBinary(buildDir: string): Promise<string> {
  const out = join(buildDir, 'flowtap-helper');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(SOURCE).mtimeMs) return out;
  mkdirSync(buildDir, { recursive: true });
  try {
    await run(process.env.CC ?? 'cc', [
      '-O2',
      '-Wall',
      SOURCE,
      '-Wl,-Bstatic',
      '-lbpf',
      '-lelf',
      '-lz',
      '-Wl,-Bdynamic',
      '-o',
      out,
    ]);
  } catch (err) {
    throw new FlowtapError(
      `cannot build flowtap-helper (needs cc and libbpf-dev): ${(err as { stderr?: string }).stderr ?? (err as Error).message}`,
    );
  }
  return out;
}

const loadAnswer = z.union([z.object({ loaded: z.boolean(), pins: z.string() }), z.object({ error: z.string() })]);

/** Load flowtap (or find it loaded) with these drop reason codes to report. */
export async function loadFlowtap(
  helper: string,
  object: string,
  pins: string,
  reasons: number[],
): Promise<{ loaded: boolean }> {
  const { stdout } = await run(helper, ['load', object, pins, ...reasons.map(String)]).catch(
    (err: { stdout?: string; message: string }) => ({ stdout: err.stdout ?? JSON.stringify({ error: err.message }) }),
  );
  const answer = loadAnswer.parse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
  if ('error' in answer) throw new FlowtapError(`flowtap: ${answer.error}`);
  return { loaded: answer.loaded };
}

/**
 * List a pod's host-side veth (by its node namespace's inode and its
 * ifindex there): a packet a tc egress program drops on it counts as
 * delivered, as Cilium traces it before the device (flowtap.bpf.c).
 */
export async function addEndpointDevice(
  helper: string,
  pins: string,
  netnsInode: number,
  ifindex: number,
): Promise<void> {
  const { stdout } = await run(helper, ['endpoint', pins, String(netnsInode), String(ifindex)]).catch(
    (err: { stdout?: string; message: string }) => ({ stdout: err.stdout ?? JSON.stringify({ error: err.message }) }),
  );
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { error?: string };
  if (answer.error) throw new FlowtapError(`flowtap: ${answer.error}`);
}

export interface Watch {
  process: ChildProcess;
  stop(): void;
}

/** Stream changed flows every `intervalMs`; `onTick` gets each interval's records. */
export function watchFlowtap(
  helper: string,
  pins: string,
  intervalMs: number,
  onTick: (records: TapRecord[]) => void,
  onError: (err: Error) => void,
): Watch {
  const child = spawn(helper, ['watch', pins, String(intervalMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let batch: TapRecord[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const parsed = tapLineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) return;
    const v = parsed.data;
    if ('error' in v) onError(new FlowtapError(`flowtap-helper: ${v.error}`));
    else if ('tick' in v) {
      onTick(batch);
      batch = [];
    } else batch.push(v);
  });
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM') onError(new FlowtapError(`flowtap-helper watch exited (${code ?? signal})`));
  });
  return { process: child, stop: () => child.kill('SIGTERM') };
}
