// Network namespaces for fault tests: a client and a server joined by a veth
// pair (veth0 on both sides), with IPv4 and IPv6 addresses in two extra
// prefixes on the server so prefix matches have a neighbour to miss.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../../bpf/index.ts';

export const IFACE = 'veth0';
/** Every namespace a fault test makes starts with this. */
export const NETNS_PREFIX = 'nsf-';

export const ADDR = {
  client: '10.77.0.1',
  server: '10.77.0.2',
  matched: '10.78.1.2',
  neighbour: '10.78.2.2',
  client6: 'fd77::1',
  server6: 'fd77::2',
  matched6: 'fd78:1::2',
  neighbour6: 'fd78:2::2',
} as const;

export interface Topology {
  id: string;
  client: string;
  server: string;
  destroy(): Promise<void>;
}

async function ip(netns: string, ...args: string[]): Promise<void> {
  await run('ip', ['-n', netns, ...args]);
}

export async function createTopology(): Promise<Topology> {
  const id = randomBytes(3).toString('hex');
  const client = `${NETNS_PREFIX}${id}-c`;
  const server = `${NETNS_PREFIX}${id}-s`;
  await run('ip', ['netns', 'add', client]);
  await run('ip', ['netns', 'add', server]);
  const topology: Topology = {
    id,
    client,
    server,
    async destroy() {
      for (const ns of [client, server]) {
        if (existsSync(`/run/netns/${ns}`)) await run('ip', ['netns', 'del', ns]);
      }
    },
  };
  try {
    await run('ip', ['link', 'add', IFACE, 'netns', client, 'type', 'veth', 'peer', 'name', IFACE, 'netns', server]);
    await ip(client, 'addr', 'add', `${ADDR.client}/24`, 'dev', IFACE);
    await ip(client, 'addr', 'add', `${ADDR.client6}/64`, 'dev', IFACE, 'nodad');
    for (const addr of [ADDR.server, ADDR.matched, ADDR.neighbour])
      await ip(server, 'addr', 'add', `${addr}/24`, 'dev', IFACE);
    for (const addr of [ADDR.server6, ADDR.matched6, ADDR.neighbour6]) {
      await ip(server, 'addr', 'add', `${addr}/64`, 'dev', IFACE, 'nodad');
    }
    for (const ns of [client, server]) {
      await ip(ns, 'link', 'set', 'lo', 'up');
      await ip(ns, 'link', 'set', IFACE, 'up');
    }
    await ip(client, 'route', 'add', '10.78.0.0/16', 'dev', IFACE);
    await ip(client, '-6', 'route', 'add', 'fd78::/16', 'dev', IFACE);
    return topology;
  } catch (err) {
    await topology.destroy();
    throw err;
  }
}

/** Namespaces fault tests left behind (should be none). */
export async function leftoverNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NETNS_PREFIX));
}

export interface Resident {
  pid: number;
  /** Kills the process and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * A process living in `netns` as a pod's processes live in the pod's: what
 * the node agent's NetnsLocator finds a namespace by. Returns once the
 * process is in it.
 */
export async function processIn(netns: string): Promise<Resident> {
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', 'sleep', '600'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const pid = child.pid;
  const inode = statSync(`/run/netns/${netns}`).ino;
  for (let i = 0; pid !== undefined && i < 100; i += 1) {
    if (statSync(`/proc/${pid}/ns/net`, { throwIfNoEntry: false })?.ino === inode) return { pid, stop };
    await sleep(20);
  }
  await stop();
  throw new Error(`no process could be started in network namespace ${netns}`);
}
