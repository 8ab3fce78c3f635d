// Throw-away pods for the policy datapath tests: namespaces nspol-<id>-<pod>
// whose eth0 is a veth to a bridge in nspol-<id>-node (the lab's layout:
// host-side veths are bridge ports in the node's namespace), echo servers
// and one-shot TCP/UDP clients running inside them with real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { run } from '../../../bpf/index.ts';

export const NETNS_PREFIX = 'nspol-';

export interface Pod {
  name: string;
  ip: string;
  netns: string;
  /** The host-side veth, in the node namespace. */
  hostIf: string;
}

export interface PodNet {
  node: string;
  pods: Record<string, Pod>;
  destroy(): Promise<void>;
}

/** A bridge in a node namespace and one namespace per pod on 10.251.<n>.0/24. */
export async function createPodNet(names: string[]): Promise<PodNet> {
  const id = randomBytes(3).toString('hex');
  const node = `${NETNS_PREFIX}${id}-node`;
  const made: string[] = [];
  const destroy = async () => {
    for (const ns of made.reverse()) if (existsSync(`/run/netns/${ns}`)) await run('ip', ['netns', 'del', ns]);
  };
  const pods: Record<string, Pod> = {};
  try {
    await run('ip', ['netns', 'add', node]);
    made.push(node);
    await run('ip', ['-n', node, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', node, 'link', 'set', 'br0', 'up']);
    await run('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', node, 'addr', 'add', '10.251.0.254/24', 'dev', 'br0']);
    for (const [i, name] of names.entries()) {
      const netns = `${NETNS_PREFIX}${id}-${name}`;
      const hostIf = `h${id}${i}`;
      const ip = `10.251.0.${i + 1}`;
      await run('ip', ['netns', 'add', netns]);
      made.push(netns);
      await run('ip', ['-n', node, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await run('ip', ['-n', node, 'link', 'set', hostIf, 'master', 'br0', 'up']);
      await run('ip', ['-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      pods[name] = { name, ip, netns, hostIf };
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { node, pods, destroy };
}

const ECHO = `
const net = require('node:net'), dgram = require('node:dgram');
const [tcp, udp] = process.argv.slice(1).map((s) => s ? s.split(',') : []);
let up = 0; const ready = () => { if (++up === tcp.length + udp.length) console.log('ready'); };
for (const p of tcp) net.createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {})).listen(+p, ready);
for (const spec of udp) {
  const [p, delay = 0] = spec.split(':').map(Number);
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => setTimeout(() => u.send(m, r.port, r.address), delay));
  u.bind(p, ready);
}
`;

/** Echo servers on TCP and UDP ports inside a pod (a UDP port may be "port:delayMs"); resolves once they listen. */
export async function echoServer(pod: Pod, tcp: number[], udp: (number | string)[]): Promise<ChildProcess> {
  const child = spawn(
    'nsenter',
    [`--net=/run/netns/${pod.netns}`, '--', process.execPath, '-e', ECHO, tcp.join(','), udp.join(',')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer | number];
  if (!Buffer.isBuffer(chunk) || !chunk.toString().includes('ready'))
    throw new Error(`echo server in ${pod.netns} did not start`);
  return child;
}

const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const [proto, host, port, ms] = process.argv.slice(1);
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ ok: false, error: 'timeout' }), Number(ms));
if (proto === 'tcp') {
  const s = net.connect(Number(port), host, () => s.write('ping'));
  s.on('data', (d) => done({ ok: d.toString() === 'ping' }));
  s.on('error', (e) => done({ ok: false, error: e.code }));
} else {
  const u = dgram.createSocket('udp4');
  u.on('message', (m) => done({ ok: m.toString() === 'ping' }));
  u.send('ping', Number(port), host);
}
`;

/** One connection (TCP) or datagram (UDP) from a pod, answered by an echo: true if the echo came back. */
export async function exchange(from: Pod, proto: 'tcp' | 'udp', host: string, port: number, ms = 1500) {
  const { stdout } = await run(
    'nsenter',
    [`--net=/run/netns/${from.netns}`, '--', process.execPath, '-e', CLIENT, proto, host, String(port), String(ms)],
    { timeoutMs: ms + 5000 },
  );
  return JSON.parse(stdout.trim()) as { ok: boolean; error?: string };
}
