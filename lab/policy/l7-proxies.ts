// The agent's L7 proxies: one proxy process (l7-proxy.ts) and one nftables
// table (l7-nft.ts) in the network namespace of each pod whose ingress has
// HTTP rules. Make before break: the proxy listens before the table sends
// it anything, and the table goes before the proxy. A pod restarted under
// the same names (a new namespace) gets a new proxy and table; a pod that
// loses its HTTP rules, or goes, loses both. Config files live in `dir`
// (the lab dir's l7/), where the Hubble stand-in reads them and the events.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { L7Config } from './l7-config.ts';
import { applyNft, nftScript, removeNft } from './l7-nft.ts';

const PROXY = fileURLToPath(new URL('./l7-proxy.ts', import.meta.url));
const READY_MS = 15_000;

export interface L7Pod {
  /** namespace/name */
  key: string;
  netns: string;
  config: L7Config;
}

interface Running {
  netns: string;
  /** The namespace's inode when the proxy started: a restarted pod has a new one under the same name. */
  inode: number;
  child: ChildProcess;
  exited: boolean;
  /** [enforced port, proxy port] pairs: a change needs a new proxy. */
  ports: [number, number][];
  config: string;
  nft?: string;
}

export const l7Files = (dir: string, netns: string) => ({
  config: join(dir, `${netns}.config.json`),
  events: join(dir, `${netns}.events.jsonl`),
});

const inodeOf = (netns: string) => {
  try {
    return statSync(join('/run/netns', netns)).ino;
  } catch {
    return undefined;
  }
};

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export interface L7Proxies {
  /**
   * Make it so (`keepOthers`: put the wanted in place, remove nothing yet); resolves with the pods whose
   * proxy or table could not be put in place, and why.
   */
  reconcile(wanted: L7Pod[], options?: { keepOthers?: boolean }): Promise<Map<string, string>>;
  status(): { pod: string; netns: string; pid?: number; ports: number[] }[];
  stop(): Promise<void>;
}

export function l7Proxies(o: {
  dir: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** A proxy exited on its own (the agent syncs again, which starts it anew if still wanted). */
  onExit?: () => void;
}): L7Proxies {
  const running = new Map<string, Running>();
  let stopping = false;

  const start = (key: string, netns: string, files: ReturnType<typeof l7Files>): Promise<ChildProcess> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        'ip',
        ['netns', 'exec', netns, process.execPath, '--no-warnings', PROXY, files.config, files.events],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let ready = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`L7 proxy of ${key}: not ready after ${READY_MS} ms`));
      }, READY_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (!ready && chunk.toString().includes('ready')) {
          ready = true;
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => o.log('l7 proxy', { pod: key, stderr: chunk.toString().trim() }));
      child.once('error', (err) => reject(err));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`L7 proxy of ${key} exited (${code ?? signal}) before it was ready`));
      });
    });

  const teardown = async (key: string, r: Running) => {
    running.delete(key);
    await removeNft(r.netns);
    if (!r.exited) {
      const gone = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
      r.child.kill('SIGTERM');
      const killer = setTimeout(() => r.child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(killer);
    }
    rmSync(l7Files(o.dir, r.netns).config, { force: true });
  };

  const ensure = async (w: L7Pod) => {
    const inode = inodeOf(w.netns);
    let r = running.get(w.key);
    const ports = w.config.ports.map((p): [number, number] => [p.port, p.proxyPort]);
    const samePorts = JSON.stringify(ports) === JSON.stringify(r?.ports);
    if (r && (r.exited || r.inode !== inode || r.netns !== w.netns || !samePorts)) {
      await teardown(w.key, r);
      r = undefined;
    }
    if (inode === undefined) return; // the pod's namespace is not there (yet, or any more)
    const files = l7Files(o.dir, w.netns);
    const config = JSON.stringify(w.config);
    if (!r) {
      writeAtomic(files.config, config);
      const child = await start(w.key, w.netns, files).catch((err: unknown) => {
        rmSync(files.config, { force: true });
        throw err;
      });
      const entry: Running = { netns: w.netns, inode, child, exited: false, ports, config };
      child.once('exit', (code, signal) => {
        entry.exited = true;
        if (stopping || running.get(w.key) !== entry) return;
        o.log('l7 proxy exited', { pod: w.key, code, signal });
        setTimeout(() => o.onExit?.(), 1000).unref();
      });
      running.set(w.key, entry);
      r = entry;
      o.log('l7 proxy started', { pod: w.key, netns: w.netns, pid: child.pid, ports: w.config.ports });
    } else if (r.config !== config) {
      writeAtomic(files.config, config);
      r.child.kill('SIGHUP');
      r.config = config;
    }
    const script = nftScript(w.config);
    if (r.nft !== script) {
      await applyNft(w.netns, w.config);
      r.nft = script;
    }
  };

  return {
    async reconcile(wanted, options = {}) {
      mkdirSync(o.dir, { recursive: true });
      const keys = new Set(wanted.map((w) => w.key));
      // Gone first: a pod's address (and the stand-in's view of its proxy) may pass to a new pod.
      if (!options.keepOthers) for (const [key, r] of [...running]) if (!keys.has(key)) await teardown(key, r);
      const results = await Promise.allSettled(wanted.map(ensure));
      const failed = new Map<string, string>();
      results.forEach((r, i) => {
        const key = wanted[i]?.key;
        if (r.status === 'rejected' && key)
          failed.set(key, String(r.reason instanceof Error ? r.reason.message : r.reason));
      });
      for (const [pod, error] of failed) o.log('cannot enforce L7 rules', { pod, error });
      return failed;
    },
    status: () =>
      [...running].map(([pod, r]) => ({
        pod,
        netns: r.netns,
        ...(r.child.pid === undefined ? {} : { pid: r.child.pid }),
        ports: r.ports.map(([port]) => port),
      })),
    async stop() {
      stopping = true;
      for (const [key, r] of [...running]) await teardown(key, r);
    },
  };
}
