// Loading, attaching, listing and detaching fault instances. Everything a
// fault creates lives under PIN_ROOT/<fault id>/<key>/, described by its own
// pinned meta map, so any agent (or a later one, after a crash) can list and
// undo it. Attach prefers a tcx link (kernel 6.6+), pinned as "link": it
// outlives this process and detaches when unpinned. Legacy clsact filters
// use a reserved prio band and handle prefix (see qdisc.ts).
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { netnsPath } from './exec.ts';
import { nsfault, type Counters, type Pinned } from './helper.ts';
import { attachmentDir, ensureBpffs, faultDir, PIN_ROOT } from './paths.ts';
import { ensureClsact, installFq, releaseClsact, removeFq, tcSlot, type FqSizing } from './qdisc.ts';

export type Hook = 'ingress' | 'egress';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'any';
export type AttachMode = 'tcx' | 'tc';

export interface PortRange {
  from: number;
  to: number;
}

/** What one program instance matches and does. */
export interface ProgramSpec {
  faultId: string;
  /** The attachment within the fault ("t0", "t1", ...). */
  key: string;
  kind: 'drop' | 'delay';
  protocol: Protocol;
  srcPorts?: PortRange;
  dstPorts?: PortRange;
  /** Peer prefixes (v4 and v6 CIDRs); empty = any peer. */
  peers?: string[];
  /** The peer is the packet's destination (the target sends) or its source. */
  peerIsDst: boolean;
  /** "address" or "address,port" (no prefix) the program never matches: the node's control plane. */
  protected?: string[];
  dropPpm?: number;
  delayMs?: number;
  jitterMs?: number;
  /** The kernel-side expiry, from now. */
  ttlMs: number;
}

/** Where to attach; without one the program is only loaded and pinned. */
export interface AttachPoint {
  ifname: string;
  /** Name under /run/netns; undefined = this process's namespace. */
  netns?: string;
  hook: Hook;
  mode?: AttachMode;
  /** Delay faults: how to size the fq qdisc installed as root. */
  fq?: FqSizing;
}

export interface Attachment {
  faultId: string;
  key: string;
  pin: string;
  ifname: string;
  netns?: string;
  hook: Hook;
  mode: 'none' | AttachMode;
  kind: 'drop' | 'delay';
  /** Milliseconds until the kernel stops enforcing; <= 0 once expired. */
  deadlineInMs: number;
  expired: boolean;
  /** The tcx link lost its device (deleted interface or namespace). */
  interfaceGone: boolean;
  counters: Counters;
}

export interface Detached {
  pin: string;
  faultId: string;
  key: string;
  /** detached | interface-gone | absent | not-attached | not-ours */
  state: string;
  attachment?: Attachment;
}

const PROTOCOLS: Record<Protocol, number> = { any: 0, icmp: 1, tcp: 6, udp: 17 };
const KINDS = { 1: 'drop', 2: 'delay' } as const;

function toAttachment(pinned: Pinned, nowNs: number): Attachment {
  const [faultId = '', key = ''] = pinned.pin.slice(PIN_ROOT.length + 1).split('/');
  const deadlineInMs = (pinned.config.deadlineNs - nowNs) / 1e6;
  return {
    faultId,
    key,
    pin: pinned.pin,
    ifname: pinned.ifname,
    ...(pinned.netns ? { netns: pinned.netns } : {}),
    hook: pinned.hook,
    mode: pinned.mode,
    kind: pinned.match.kind === 2 ? KINDS[2] : KINDS[1],
    deadlineInMs,
    expired: deadlineInMs <= 0,
    interfaceGone: pinned.mode === 'tcx' && (pinned.link === null || pinned.link.ifindex === 0),
    counters: pinned.counters,
  };
}

function programArgs(spec: ProgramSpec, pin: string): string[] {
  const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);
  const range = (r: PortRange | undefined) => (r ? `${r.from}-${r.to}` : '0-65535');
  return [
    '--pin',
    pin,
    '--kind',
    spec.kind,
    '--proto',
    String(PROTOCOLS[spec.protocol]),
    '--sport',
    range(spec.srcPorts),
    '--dport',
    range(spec.dstPorts),
    ...(spec.peerIsDst ? ['--peer-dst'] : []),
    '--ppm',
    String(spec.dropPpm ?? 0),
    '--delay-ns',
    ns(spec.delayMs ?? 0),
    '--jitter-ns',
    ns(spec.jitterMs ?? 0),
    '--ttl-ns',
    ns(Math.max(spec.ttlMs, 1)),
    ...(spec.peers?.length || spec.protected?.length ? ['--peers', '-'] : []),
  ];
}

/** The helper's stdin: one peer CIDR a line, then "!address" or "!address,port" for each protected one. */
function peerLines(spec: ProgramSpec): string | undefined {
  const lines = [...(spec.peers ?? []), ...(spec.protected ?? []).map((address) => `!${address}`)];
  return lines.length ? `${lines.join('\n')}\n` : undefined;
}

/** The state of one attachment, or undefined when nothing is pinned there. */
export async function show(pin: string): Promise<Attachment | undefined> {
  const shown = await nsfault.show([pin]);
  const pinned = shown.faults[0];
  return pinned ? toAttachment(pinned, shown.nowNs) : undefined;
}

/**
 * Loads, configures and attaches one instance. An instance already pinned
 * under the same fault id and key is returned as it is (idempotent).
 */
export async function attach(
  spec: ProgramSpec,
  at?: AttachPoint,
): Promise<{ attachment: Attachment; existed: boolean }> {
  await ensureBpffs();
  const pin = attachmentDir(spec.faultId, spec.key);
  if (existsSync(pin)) {
    const existing = await show(pin);
    if (existing) return { attachment: existing, existed: true };
    await nsfault.detach(pin); // half-made by a crashed agent: clear it first
  }
  mkdirSync(faultDir(spec.faultId), { recursive: true, mode: 0o700 });
  const extra: string[] = [];
  let addedClsact = false;
  let replacedRoot = false;
  try {
    if (at) {
      extra.push('--ifname', at.ifname, '--hook', at.hook, '--mode', at.mode ?? 'tcx');
      if (at.netns) extra.push('--netns', at.netns);
      if (at.mode === 'tc') {
        const slot = tcSlot(pin);
        addedClsact = await ensureClsact(at.ifname, at.netns);
        extra.push('--tc-prio', String(slot.prio), '--tc-handle', String(slot.handle));
        if (addedClsact) extra.push('--added-clsact');
      }
      if (spec.kind === 'delay' && at.fq) {
        await installFq(at.ifname, at.fq, at.netns);
        replacedRoot = true;
        extra.push('--replaced-root');
      }
    }
    const input = peerLines(spec);
    await nsfault.load([...programArgs(spec, pin), ...extra], {
      ...(at?.netns ? { netns: at.netns } : {}),
      ...(input ? { input } : {}),
    });
  } catch (err) {
    if (at && addedClsact) await releaseClsact(at.ifname, at.netns).catch(() => undefined);
    if (at && replacedRoot) await removeFq(at.ifname, at.netns).catch(() => undefined);
    removeEmptyDir(faultDir(spec.faultId));
    throw err;
  }
  const attachment = await show(pin);
  if (!attachment) throw new Error(`${pin}: loaded but nothing is pinned there`);
  return { attachment, existed: false };
}

/** Stops, detaches and unpins one instance; restores any qdisc it added. */
export async function detach(pin: string): Promise<Detached> {
  const before = await nsfault.show([pin]);
  const pinned = before.faults[0];
  const [faultId = '', key = ''] = pin.slice(PIN_ROOT.length + 1).split('/');
  if (!pinned) {
    if (existsSync(pin)) await nsfault.detach(pin); // pins without meta: just unpin them
    removeEmptyDir(join(PIN_ROOT, faultId));
    return { pin, faultId, key, state: 'absent' };
  }
  const netnsAlive = !pinned.netns || netnsExists(pinned.netns);
  const netns = netnsAlive && pinned.netns ? pinned.netns : undefined;
  const result = await nsfault.detach(pin, netns ? { netns } : {});
  // Deadline and meta as they were; counters as the helper read them last.
  const attachment = {
    ...toAttachment(pinned, before.nowNs),
    ...(result.fault ? { counters: result.fault.counters } : {}),
  };
  const state = netnsAlive ? result.state : 'interface-gone';
  if (netnsAlive && state === 'detached') await restoreQdiscs(pinned, netns);
  removeEmptyDir(join(PIN_ROOT, faultId));
  return { pin, faultId, key, state, attachment: { ...attachment, interfaceGone: state === 'interface-gone' } };
}

/** A namespace recorded in a pin's meta still exists (a refused reference counts as gone). */
function netnsExists(ref: string): boolean {
  try {
    return existsSync(netnsPath(ref));
  } catch {
    return false;
  }
}

async function restoreQdiscs(pinned: Pinned, netns: string | undefined): Promise<void> {
  if (pinned.mode === 'tc' && pinned.addedClsact) await releaseClsact(pinned.ifname, netns).catch(() => undefined);
  if (!pinned.replacedRoot) return;
  const others = (await list()).filter(
    (a) => a.ifname === pinned.ifname && a.netns === (pinned.netns || undefined) && a.kind === 'delay',
  );
  if (others.length === 0) await removeFq(pinned.ifname, netns).catch(() => undefined);
}

function removeEmptyDir(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // already gone
  }
}

/** The fault ids that have anything pinned on this node. */
export function faultIds(): string[] {
  return safeReaddir(PIN_ROOT).filter((name) =>
    statSync(join(PIN_ROOT, name), { throwIfNoEntry: false })?.isDirectory(),
  );
}

/** Every pin directory under PIN_ROOT (or of one fault). */
export function pinDirs(faultId?: string): string[] {
  const faults = faultId ? [faultId] : faultIds();
  return faults.flatMap((fault) => {
    const dir = join(PIN_ROOT, fault);
    return safeReaddir(dir)
      .map((key) => join(dir, key))
      .filter((path) => statSync(path, { throwIfNoEntry: false })?.isDirectory());
  });
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every nightshift attachment on this node (or of one fault). */
export async function list(faultId?: string): Promise<Attachment[]> {
  const pins = pinDirs(faultId);
  if (pins.length === 0) return [];
  const shown = await nsfault.show(pins);
  return shown.faults.map((pinned) => toAttachment(pinned, shown.nowNs));
}

/** Detaches every instance of a fault; an unknown fault detaches nothing. */
export async function detachFault(faultId: string): Promise<Detached[]> {
  const results: Detached[] = [];
  for (const pin of pinDirs(faultId)) results.push(await detach(pin));
  removeEmptyDir(join(PIN_ROOT, faultId));
  return results;
}
