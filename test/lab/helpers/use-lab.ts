// One lab for a test file: up in beforeAll (under the machine-wide lab lock),
// down in afterAll, and then nothing of it may be left on the machine.
import { labDown, labStatus, labUp, type LabStatus } from '../../../lab/index.ts';
import type { Config } from '../../../worker/config.ts';
import { labTestConfig, leftovers, markedPids, NOTHING_LEFT, removeDataDirs } from './lab.ts';
import { lockLab } from './lock.ts';

export type UpStatus = Extract<LabStatus, { processes: unknown }>;

export interface LabContext {
  config: Config;
  status(): Promise<UpStatus>;
  /** Note a pod namespace or pid the final leftover check must find gone. */
  seen(netns?: string, pid?: number): void;
}

/** Lock wait, then lab up (whose own steps are bounded; this bounds the whole). */
const LOCK_WAIT_MS = 8 * 60_000;
const UP_BUDGET_MS = 5 * 60_000;

/**
 * The lab runs nightshift from its chart, as pods, as `lab up` does; `chart: false`
 * (`lab up --no-chart`) runs the lab's own worker and agent processes instead.
 */
export function useLab(options: { chart?: boolean } = {}): LabContext {
  let config: Config | undefined;
  let unlock: (() => void) | undefined;
  let failure: string | undefined;
  let starting: Promise<unknown> | undefined;
  const abort = new AbortController();
  let labRoot = '';
  const netns = new Set<string>();
  const pids = new Set<number>();

  const status = async (): Promise<UpStatus> => {
    if (!config) throw new Error('the lab is not configured');
    const s = await labStatus(config.dataDir);
    if (!('processes' in s)) throw new Error('the lab is not up');
    for (const p of s.processes) pids.add(p.pid);
    for (const p of s.pods) netns.add(p.netns);
    for (const pid of markedPids(s.labDir)) pids.add(pid);
    return s;
  };

  beforeAll(
    async () => {
      try {
        unlock = await lockLab(LOCK_WAIT_MS);
        const own = await labTestConfig();
        const steps: string[] = [];
        const up = labUp({
          config: own,
          signal: abort.signal,
          progress: (line) => steps.push(line),
          chart: options.chart ?? true,
        });
        starting = up.catch(() => undefined);
        config = own;
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          up,
          new Promise<never>((_, fail) => {
            timer = setTimeout(() => {
              abort.abort();
              fail(
                new Error(
                  `lab up took longer than ${UP_BUDGET_MS / 1000} s; steps done: ${steps.join('; ') || 'none'}`,
                ),
              );
            }, UP_BUDGET_MS);
          }),
        ]).finally(() => clearTimeout(timer));
        if (result.alreadyUp) throw new Error('a lab was already up in a fresh data dir');
        labRoot = (await status()).labDir;
      } catch (err) {
        failure = (err as Error).message;
        throw err;
      }
    },
    LOCK_WAIT_MS + UP_BUDGET_MS + 30_000,
  );

  afterAll(async () => {
    try {
      abort.abort();
      await starting;
      if (config) {
        await status().catch(() => undefined);
        const report = await labDown(config.dataDir);
        expect(report.wasUp).toBe(true); // how long it took: bench/lab-updown.ts
        expect(await leftovers(labRoot, [...netns], [...pids])).toEqual(NOTHING_LEFT);
      }
    } finally {
      removeDataDirs();
      unlock?.();
    }
  }, 60_000);

  return {
    get config() {
      if (failure) throw new Error(`the lab did not come up: ${failure}`);
      if (!config) throw new Error('the lab is not configured');
      return config;
    },
    status,
    seen(n, pid) {
      if (n) netns.add(n);
      if (pid) pids.add(pid);
    },
  };
}
