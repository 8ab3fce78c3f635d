// Running the lab from tests: a config of its own (temporary data dir, free
// Temporal port), kubectl against the lab, commands inside a namespace, and
// a snapshot of everything the lab leaves on the machine.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { loadConfig, type Config } from '../../../worker/config.ts';
import { diverted } from '../../../lab/dns-delay/nft.ts';
import { freePort } from '../../../lab/ports.ts';
import { TOOLS_BIN } from '../../../worker/tools.ts';

export { freePort };

const exec = promisify(execFile);

const dataDirs: string[] = [];

/** A config whose lab lives in a fresh temporary dir with its own Temporal port. */
export async function labTestConfig(): Promise<Config> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-lab-test-'));
  dataDirs.push(dataDir);
  return loadConfig({
    NIGHTSHIFT_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
    // Where the lab's Alertmanager delivers: a test that wants the alerts serves its gateway here.
    NIGHTSHIFT_HTTP_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
}

/** Remove the temporary data dirs this file made (after `lab down` emptied them). */
export function removeDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  const { stdout } = await exec(join(TOOLS_BIN, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    timeout: 120_000,
  });
  return stdout;
}

const podListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({
        name: z.string(),
        namespace: z.string(),
        labels: z.record(z.string(), z.string()).default({}),
        annotations: z.record(z.string(), z.string()).default({}),
        deletionTimestamp: z.string().optional(),
      }),
      spec: z.object({ nodeName: z.string().optional() }),
      status: z.object({ phase: z.string().optional(), podIP: z.string().optional() }),
    }),
  ),
});
export type LabPod = z.infer<typeof podListSchema>['items'][number];

export async function pods(kubeconfig: string, args: string[] = ['-A']): Promise<LabPod[]> {
  return podListSchema.parse(JSON.parse(await kubectl(kubeconfig, ['get', 'pods', ...args, '-o', 'json']))).items;
}

export async function inNetns(netns: string, command: string[]): Promise<string> {
  const { stdout } = await exec('ip', ['netns', 'exec', netns, ...command], { timeout: 30_000 });
  return stdout;
}

export async function netnsList(): Promise<string[]> {
  const { stdout } = await exec('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The MAC of `dev` in `netns`. */
export async function linkMac(netns: string, dev: string): Promise<string> {
  const { stdout } = await exec('ip', ['-n', netns, '-j', 'link', 'show', 'dev', dev]);
  return z.array(z.object({ address: z.string() })).parse(JSON.parse(stdout))[0]?.address ?? '';
}

export async function hostLinks(): Promise<string[]> {
  const { stdout } = await exec('ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter(Boolean);
}

/** Processes whose environment carries the lab marker for `labRoot`. */
export function markedPids(labRoot: string): number[] {
  const marker = `NIGHTSHIFT_LAB_ROOT=${labRoot}`;
  return readdirSync('/proc').flatMap((entry) => {
    const pid = Number(entry);
    if (!pid) return [];
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker) ? [pid] : [];
    } catch {
      return [];
    }
  });
}

export function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

export interface Leftovers {
  netns: string[];
  links: string[];
  etcNetns: string[];
  pins: boolean;
  /** The DNS delay's nftables table. */
  dnsDiverted: boolean;
  processes: number[];
  labDir: boolean;
}

/** What of the lab is still on the machine: its names, the given netns and pids, its dirs. */
export async function leftovers(labRoot: string, knownNetns: string[], knownPids: number[]): Promise<Leftovers> {
  const netns = (await netnsList()).filter((n) => n.startsWith('nightshift-lab-') || knownNetns.includes(n));
  const etcNetns = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => knownNetns.includes(n)) : [];
  return {
    netns,
    links: (await hostLinks()).filter((l) => l.startsWith('nslab')),
    etcNetns,
    pins: existsSync('/sys/fs/bpf/nightshift-lab'),
    dnsDiverted: await diverted(),
    processes: [...new Set([...knownPids.filter(alive), ...markedPids(labRoot)])],
    labDir: existsSync(labRoot),
  };
}

export const NOTHING_LEFT: Leftovers = {
  netns: [],
  links: [],
  etcNetns: [],
  pins: false,
  dnsDiverted: false,
  processes: [],
  labDir: false,
};

/**
 * Poll `probe` until it gives a value (a throw counts as not yet), or fail
 * after `timeoutMs` naming what was awaited and the last error seen.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(intervalMs);
  }
}
