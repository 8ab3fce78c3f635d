// Measurements from inside another network namespace: a pod's or a node's.
// The helper is started under nsenter with this process's own Node; from the
// current namespace it runs in-process. Output is checked with zod.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { sampleDns, type DnsPlan, type DnsSample } from '../dns/sampler.ts';
import { sampleTcp, type TcpPlan, type TcpSample } from './tcp.ts';

const HELPER = fileURLToPath(new URL('./helper.ts', import.meta.url));
export const NETNS_DIR = '/run/netns';
/**
 * Where the helpers keep Node's compiled code between starts. A gather starts one helper per vantage point at
 * once; from the cache each costs about 60 % of the CPU of a cold start (bench/netns-helper.ts), and a busy
 * node lends the rest to everything else gathering beside them. Per user, since the helpers may run as root.
 */
const HELPER_COMPILE_CACHE = join(tmpdir(), `nightshift-node-compile-cache-${process.getuid?.() ?? 'user'}`);

let cacheDir: string | undefined | null = null;

/**
 * The compile cache directory, made private on first use; none (the helper starts cold) when it cannot be
 * made or someone else could write it: code read from it runs in every helper.
 */
export function privateDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  const ours = uid === undefined || st.uid === uid;
  return st.isDirectory() && ours && (st.mode & 0o022) === 0 ? dir : undefined;
}

const dnsSamples = z.object({
  samples: z.array(
    z.object({
      server: z.string(),
      name: z.string(),
      ms: z.number(),
      outcome: z.string(),
      answers: z.number().optional(),
      error: z.string().optional(),
    }),
  ),
});
const tcpSamples = z.object({
  samples: z.array(
    z.object({
      target: z.string(),
      ms: z.number(),
      outcome: z.enum(['connected', 'refused', 'timeout', 'unreachable', 'error']),
      error: z.string().optional(),
    }),
  ),
});

export class NetnsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetnsError';
  }
}

export function netnsExists(netns: string): boolean {
  return existsSync(`${NETNS_DIR}/${netns}`);
}

/** The helper's environment: ours, with Node's compile cache on when its directory is private. */
function helperEnv(): NodeJS.ProcessEnv {
  if (cacheDir === null) cacheDir = privateDir(HELPER_COMPILE_CACHE);
  return cacheDir ? { ...process.env, NODE_COMPILE_CACHE: cacheDir } : process.env;
}

function inNetns(netns: string, task: unknown, timeoutMs: number): Promise<string> {
  if (!/^[\w.-]+$/.test(netns)) return Promise.reject(new NetnsError(`bad network namespace name "${netns}"`));
  if (!netnsExists(netns)) return Promise.reject(new NetnsError(`no network namespace ${NETNS_DIR}/${netns}`));
  return new Promise((resolve, reject) => {
    execFile(
      'nsenter',
      [`--net=${NETNS_DIR}/${netns}`, process.execPath, '--no-warnings', HELPER, JSON.stringify(task)],
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: helperEnv() },
      (err, stdout, stderr) => {
        if (err?.killed) reject(new NetnsError(`measuring from ${netns} did not finish within ${timeoutMs} ms`));
        else if (err) reject(new NetnsError(`measuring from ${netns} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** DNS samples from `netns`, or from this process's namespace when netns is undefined. */
export async function dnsFrom(netns: string | undefined, plan: DnsPlan, timeoutMs: number): Promise<DnsSample[]> {
  if (netns === undefined) return sampleDns(plan);
  return dnsSamples.parse(JSON.parse(await inNetns(netns, { kind: 'dns', plan }, timeoutMs))).samples;
}

export async function tcpFrom(netns: string | undefined, plan: TcpPlan, timeoutMs: number): Promise<TcpSample[]> {
  if (netns === undefined) return sampleTcp(plan);
  return tcpSamples.parse(JSON.parse(await inNetns(netns, { kind: 'tcp', plan }, timeoutMs))).samples;
}
