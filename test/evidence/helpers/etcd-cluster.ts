// A real etcd cluster for tests: N members on loopback, each in a temp dir,
// stopped and removed by stop(). Members can be paused (SIGSTOP) to make them
// unreachable, the way a dropped link looks from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './ports.ts';

export const ETCD_BIN = resolve(
  process.env.NIGHTSHIFT_TOOLS ?? resolve(import.meta.dirname, '../../../.tools'),
  'bin/etcd',
);

export function etcdAvailable(): boolean {
  return existsSync(ETCD_BIN);
}

export interface EtcdTestMember {
  name: string;
  clientUrl: string;
  process: ChildProcess;
}

export interface EtcdTestCluster {
  members: EtcdTestMember[];
  endpoints: string[];
  pause(name: string): void;
  resume(name: string): void;
  stop(): Promise<void>;
}

export async function startEtcdCluster(size = 3): Promise<EtcdTestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-etcd-'));
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
  const peer = (i: number) => `http://127.0.0.1:${ports[i * 2 + 1]}`;
  const client = (i: number) => `http://127.0.0.1:${ports[i * 2]}`;
  const initial = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const members = names.map((name, i) => {
    const child = spawn(
      ETCD_BIN,
      [
        `--name=${name}`,
        `--data-dir=${join(dir, name)}`,
        `--listen-client-urls=${client(i)}`,
        `--advertise-client-urls=${client(i)}`,
        `--listen-peer-urls=${peer(i)}`,
        `--initial-advertise-peer-urls=${peer(i)}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=nightshift-test',
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.resume();
    return { name, clientUrl: client(i), process: child };
  });
  const cluster: EtcdTestCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    pause: (name) => find(name).process.kill('SIGSTOP'),
    resume: (name) => find(name).process.kill('SIGCONT'),
    async stop() {
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((done) => {
              if (m.process.exitCode !== null || m.process.signalCode !== null) return done();
              m.process.once('exit', () => done());
              m.process.kill('SIGCONT');
              m.process.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const find = (name: string) => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  };
  try {
    await Promise.all(
      members.map((m) =>
        waitFor(`etcd ${m.name} healthy`, async () => {
          const res = await fetch(`${m.clientUrl}/health`);
          const body = (await res.json()) as { health?: string };
          return body.health === 'true' ? true : undefined;
        }),
      ),
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Put `count` keys so the WAL and backend histograms have observations. */
export async function writeKeys(endpoint: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(`/nightshift/test/${i}`).toString('base64');
    const value = Buffer.from(`v${i}`).toString('base64');
    await fetch(`${endpoint}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key, value }) });
  }
}
