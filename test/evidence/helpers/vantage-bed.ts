// Pods for the agents' vantage tests, made the two ways pods are made:
//
//   pod "a": a process in its own network and mount namespaces (unshare), its
//            resolv.conf bind-mounted inside, as a container runtime does;
//            its namespace is NOT bound under /run/netns (only /proc shows it);
//   pod "b": a namespace bound under /run/netns with a process started by
//            `ip netns exec`, which shows it /etc/netns/<ns>/resolv.conf, as
//            the lab's pods are;
//
// both on a bridge in a "dns" namespace where a real CoreDNS answers on
// 10.x.y.53; that namespace also has a link to the host (10.x.z.1 host,
// .2 dns), so it can stand for a second node.
// A TCP listener on 127.0.0.1:7070 inside pod a answers only there.
// Needs root; stop() removes every namespace, process and file it made.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoredns, type TestCoredns } from './coredns.ts';

/** Every namespace and /etc/netns entry the bed makes starts with this. */
export const BED_PREFIX = 'nsv-';

export interface BedPod {
  ip: string;
  pid: number;
  /** /run/netns/<name> for pod b; pod a has none. */
  netns?: string;
}

export interface VantageBed {
  /** What every namespace and /etc/netns entry of this bed starts with (`nsv-<id>-`). */
  prefix: string;
  a: BedPod;
  b: BedPod;
  dnsNetns: string;
  dnsIp: string;
  hostIp: string;
  dnsHostIp: string;
  subnet: string;
  dns: TestCoredns;
  /** Kill pod b's process and make it again in a new namespace (another name, the same IP). */
  remakeB(): Promise<void>;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export const RESOLV_CONF = (dnsIp: string) =>
  ['search nope.shop.test shop.test', `nameserver ${dnsIp}`, 'options ndots:2 timeout:1 attempts:2', ''].join('\n');

function spawnDetached(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`vantage bed: ${what} did not happen`);
}

const netnsOf = (pid: number) => sh('readlink', [`/proc/${pid}/ns/net`]).trim();

export async function startVantageBed(): Promise<VantageBed> {
  // An earlier bed killed before its stop (a cancelled CI run) leaves /etc/netns entries whose namespace
  // is gone: nothing uses them, so they go.
  for (const name of existsSync('/etc/netns') ? readdirSync('/etc/netns') : [])
    if (name.startsWith(BED_PREFIX) && !existsSync(`/run/netns/${name}`))
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  const id = randomBytes(3).toString('hex');
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 100);
  const third = parseInt(id.slice(2, 4), 16) % 250;
  const subnet = `10.${octet}.${third}`;
  const link = `10.${octet}.${(third + 1) % 250}`;
  const dnsNetns = `${BED_PREFIX}${id}-dns`;
  const bNames: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-vantage-'));
  const children: ChildProcess[] = [];
  const made: { dns?: TestCoredns } = {};
  const dnsIp = `${subnet}.53`;
  const resolvFile = join(dir, 'resolv.conf');
  writeFileSync(resolvFile, RESOLV_CONF(dnsIp));

  const stop = async () => {
    await made.dns?.stop();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null && c.signalCode === null
          ? new Promise<void>((done) => c.once('exit', () => done()))
          : undefined,
      ),
    );
    for (const ns of [...bNames, dnsNetns]) if (existsSync(`/run/netns/${ns}`)) sh('ip', ['netns', 'del', ns]);
    for (const ns of bNames) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };

  const makeB = async (): Promise<BedPod> => {
    const bNetns = `${BED_PREFIX}${id}-b${bNames.length}`;
    bNames.push(bNetns);
    mkdirSync(`/etc/netns/${bNetns}`, { recursive: true });
    writeFileSync(`/etc/netns/${bNetns}/resolv.conf`, RESOLV_CONF(dnsIp));
    sh('ip', ['netns', 'add', bNetns]);
    sh('ip', ['-n', bNetns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['link', 'add', 'eth0', 'netns', bNetns, 'type', 'veth', 'peer', 'name', `vb${id}`, 'netns', dnsNetns]);
    sh('ip', ['-n', dnsNetns, 'link', 'set', `vb${id}`, 'master', 'br0', 'up']);
    sh('ip', ['-n', bNetns, 'addr', 'add', `${subnet}.3/24`, 'dev', 'eth0']);
    sh('ip', ['-n', bNetns, 'link', 'set', 'eth0', 'up']);
    const child = spawnDetached('ip', ['netns', 'exec', bNetns, 'sleep', '3600']);
    children.push(child);
    const pid = child.pid as number;
    // ip netns exec enters the namespace, then execs sleep in the same process.
    await waitFor('pod b in its namespace', () => {
      try {
        return sh('readlink', [`/proc/${pid}/exe`]).includes('sleep');
      } catch {
        return false;
      }
    });
    return { ip: `${subnet}.3`, pid, netns: bNetns };
  };

  try {
    sh('ip', ['netns', 'add', dnsNetns]);
    sh('ip', ['-n', dnsNetns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', dnsNetns, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', dnsNetns, 'addr', 'add', `${dnsIp}/24`, 'dev', 'br0']);
    sh('ip', ['-n', dnsNetns, 'link', 'set', 'br0', 'up']);
    // The link to the host: the host reaches the dns namespace (and through it the pods' subnet).
    sh('ip', ['link', 'add', `vh${id}`, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', dnsNetns]);
    sh('ip', ['addr', 'add', `${link}.1/29`, 'dev', `vh${id}`]);
    sh('ip', ['link', 'set', `vh${id}`, 'up']);
    sh('ip', ['-n', dnsNetns, 'addr', 'add', `${link}.2/29`, 'dev', 'uplink']);
    sh('ip', ['-n', dnsNetns, 'link', 'set', 'uplink', 'up']);
    made.dns = await startCoredns({ netns: dnsNetns, port: 53, bind: dnsIp });

    // Pod a: its own network and mount namespaces, its resolv.conf bind-mounted, as a runtime makes one.
    const podA = spawnDetached('unshare', [
      '--net',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount --bind ${resolvFile} /etc/resolv.conf && ip link set lo up && exec sleep 3600`,
    ]);
    children.push(podA);
    const hostNet = netnsOf(process.pid);
    const aPid = podA.pid as number;
    await waitFor('pod a in its own namespaces', () => {
      try {
        return netnsOf(aPid) !== hostNet && sh('readlink', [`/proc/${aPid}/exe`]).includes('sleep');
      } catch {
        return false;
      }
    });
    sh('ip', ['link', 'add', `va${id}`, 'type', 'veth', 'peer', 'name', `vap${id}`, 'netns', dnsNetns]);
    sh('ip', ['link', 'set', `va${id}`, 'netns', String(aPid)]);
    sh('ip', ['-n', dnsNetns, 'link', 'set', `vap${id}`, 'master', 'br0', 'up']);
    const inA = (...args: string[]) => sh('nsenter', [`--net=/proc/${aPid}/ns/net`, ...args]);
    inA('ip', 'link', 'set', `va${id}`, 'name', 'eth0');
    inA('ip', 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0');
    inA('ip', 'link', 'set', 'eth0', 'up');
    const listener = spawnDetached('nsenter', [
      `--net=/proc/${aPid}/ns/net`,
      process.execPath,
      '-e',
      "require('node:net').createServer((s) => s.destroy()).listen(7070, '127.0.0.1')",
    ]);
    children.push(listener);

    // Pod b: as the lab makes one.
    let b = await makeB();

    return {
      prefix: `${BED_PREFIX}${id}-`,
      a: { ip: `${subnet}.2`, pid: aPid },
      get b() {
        return b;
      },
      dnsNetns,
      dnsIp,
      hostIp: `${link}.1`,
      dnsHostIp: `${link}.2`,
      subnet,
      dns: made.dns,
      async remakeB() {
        const old = children.find((c) => c.pid === b.pid);
        old?.kill('SIGKILL');
        if (old && old.exitCode === null && old.signalCode === null)
          await new Promise<void>((done) => old.once('exit', () => done()));
        if (b.netns) sh('ip', ['netns', 'del', b.netns]);
        b = await makeB();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Namespaces and /etc/netns entries a bed (those starting with `prefix`) left behind (should be none). */
export function bedLeftovers(prefix = BED_PREFIX): string[] {
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns') : [];
  return [...netns.map((n) => `/run/netns/${n}`), ...etc.map((n) => `/etc/netns/${n}`)].filter((p) =>
    p.split('/').pop()?.startsWith(prefix),
  );
}
