// From an inject request to exactly what gets attached where: the interface
// (by name, or a pod's own host-side device, see pod-device.ts), the tc hook,
// the pin path and the program's match. Nothing is changed here.
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import {
  attachmentDir,
  fqOptions,
  netnsPath,
  NetnsRefused,
  NAME_PATTERN,
  runJson,
  type AttachPoint,
  type ProgramSpec,
} from '../../bpf/index.ts';
import { ErrorType, failure } from '../../model/index.ts';
import type { AttachmentPlan, Direction, InjectRequest, PodRef, ProtectedPeer } from '../../model/index.ts';
import { hostNetworkPod, podDevice, podInterface } from './pod-device.ts';
import { keepEntry, keptPeers } from './protect.ts';

export interface AgentContext {
  node: string;
  /** The node's own namespace under /run/netns (lab nodes); undefined = the agent's. */
  nodeNetns?: string;
  attachMode: 'tcx' | 'tc';
  /** The agent's own ceiling on a fault's lifetime: longer deadlines are cut to it. */
  maxTtlMs: number;
  /** Addresses no fault on this node may match (see protect.ts). */
  protectedPeers: ProtectedPeer[];
  /**
   * The network namespace on this node that holds a pod's IP (the agent's
   * NetnsLocator: a path under /run/netns, or /proc/<pid>/ns/net of a process
   * in it); asked for a pod that comes without one. Throws when it finds none.
   */
  locatePodNetns?: (ip: string, what: string) => Promise<string>;
}

export interface Planned {
  plan: AttachmentPlan;
  program: ProgramSpec;
  point: AttachPoint;
}

const linkSchema = z.object({ ifname: z.string() });

const opposite = (d: Direction): Direction => (d === 'egress' ? 'ingress' : 'egress');

/** The namespace file, refused when outside the runtime's directories, NotFound when missing. */
function requireNetns(netns: string | undefined, what: string): string | undefined {
  if (!netns) return undefined;
  let path: string;
  try {
    path = netnsPath(netns);
  } catch (err) {
    if (err instanceof NetnsRefused) throw failure(ErrorType.Refused, `${what}: ${err.message}; nothing attached`);
    throw err;
  }
  if (!existsSync(path)) {
    throw failure(ErrorType.NotFound, `${what}: network namespace ${netns} does not exist (no ${path})`);
  }
  return path;
}

/** Two namespace files are the same namespace (same nsfs inode). */
function sameNamespace(a: string, b: string): boolean {
  const x = statSync(a, { throwIfNoEntry: false });
  const y = statSync(b, { throwIfNoEntry: false });
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

async function requireInterface(ifname: string, netns: string | undefined): Promise<void> {
  const links = await runJson(linkSchema, 'ip', ['-j', 'link', 'show', 'dev', ifname], { netns }).catch(() => []);
  if (links.length === 0) {
    throw failure(
      ErrorType.NotFound,
      `interface ${ifname} not found in ${netns ? `namespace ${netns}` : 'the node namespace'}`,
    );
  }
}

/**
 * The pod with its network namespace: the one the request names (annotation
 * nightshift.dev/netns), else the one on this node that holds the pod's IP.
 * `missing` says why it has none.
 */
async function withNetns(pod: PodRef, ctx: AgentContext): Promise<{ pod: PodRef; missing?: string }> {
  if (pod.netns) return { pod };
  const unnamed = 'no annotation nightshift.dev/netns';
  if (!ctx.locatePodNetns) return { pod, missing: `${unnamed}, and this agent does not look for it` };
  try {
    return { pod: { ...pod, netns: await ctx.locatePodNetns(pod.ip, `pod ${pod.namespace}/${pod.name}`) } };
  } catch (err) {
    return { pod, missing: `${unnamed}, and ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function placement(
  req: InjectRequest,
  ctx: AgentContext,
): Promise<{ netns?: string; ifname: string; hook: Direction; pod?: PodRef }> {
  const { target, match } = req;
  if (target.interface) {
    const netns = target.netns ?? ctx.nodeNetns;
    requireNetns(netns, 'target');
    await requireInterface(target.interface, netns);
    return { ...(netns ? { netns } : {}), ifname: target.interface, hook: match.direction };
  }
  if (!target.pod) throw failure(ErrorType.InvalidInput, 'target: needs an interface or a pod');
  // A namespace found by the pod's IP passes the same checks as one the request names.
  const { pod, missing } = await withNetns(target.pod, ctx);
  const podNs = requireNetns(pod.netns, `pod ${pod.namespace}/${pod.name}`);
  const nodeNs = requireNetns(ctx.nodeNetns, 'node') ?? '/proc/self/ns/net';
  if (podNs && sameNamespace(podNs, nodeNs)) {
    const why = target.pod.netns ? 'names' : `has IP ${pod.ip} in`;
    throw hostNetworkPod(pod, `${why} the node's own network namespace`);
  }
  if (req.kind === 'delay' && match.direction === 'egress') {
    // The host-side peer sees a pod's egress at tc ingress, where a departure time delays nothing.
    if (!pod.netns) {
      throw failure(
        ErrorType.Unsupported,
        `delaying what pod ${pod.namespace}/${pod.name} sends needs its network namespace: ${missing}`,
      );
    }
    return { netns: pod.netns, ifname: await podInterface(pod.ip, pod.netns), hook: 'egress', pod };
  }
  const ifname = await podDevice(pod, ctx.nodeNetns, missing);
  return { ...(ctx.nodeNetns ? { netns: ctx.nodeNetns } : {}), ifname, hook: opposite(match.direction), pod };
}

export async function planAttachment(req: InjectRequest, ctx: AgentContext, now = Date.now()): Promise<Planned> {
  if (!NAME_PATTERN.test(req.faultId))
    throw failure(ErrorType.InvalidInput, `faultId: "${req.faultId}" is not a safe name`);
  if (!NAME_PATTERN.test(req.key)) throw failure(ErrorType.InvalidInput, `key: "${req.key}" is not a safe name`);
  const askedMs = Date.parse(req.deadline) - now;
  if (!(askedMs > 0)) throw failure(ErrorType.Refused, `deadline ${req.deadline} has already passed; nothing attached`);
  // The agent's own ceiling: whatever a request says, the kernel stops enforcing by then.
  const ttlMs = Math.min(askedMs, ctx.maxTtlMs);
  const deadline = ttlMs < askedMs ? new Date(now + ttlMs).toISOString() : req.deadline;
  const kept = keptPeers(req.match, ctx.protectedPeers, req.allowProtected === true);
  const where = await placement(req, ctx);
  if (req.kind === 'delay' && where.hook !== 'egress') {
    throw failure(
      ErrorType.InvalidInput,
      'match.direction: a delay needs an egress hook (a departure time stamped at tc ingress delays nothing)',
    );
  }
  const { magnitude, match } = req;
  const fq =
    req.kind === 'delay'
      ? { delayMs: magnitude.delayMs ?? 0, jitterMs: magnitude.jitterMs ?? 0, ratePps: magnitude.ratePps ?? 1000 }
      : undefined;
  const pin = attachmentDir(req.faultId, req.key);
  const peerIsDst = match.direction === 'egress';
  const plan: AttachmentPlan = {
    faultId: req.faultId,
    key: req.key,
    node: ctx.node,
    ...(where.netns ? { netns: where.netns } : {}),
    interface: where.ifname,
    hook: where.hook,
    peerIsDst,
    pin,
    mode: ctx.attachMode,
    deadline,
    ...(deadline !== req.deadline ? { clampedFrom: req.deadline } : {}),
    ...(fq ? { qdisc: `fq ${fqOptions(fq).join(' ')}` } : {}),
    ...(where.pod ? { pod: where.pod } : {}),
    ...(kept.length ? { protected: kept } : {}),
  };
  const program: ProgramSpec = {
    faultId: req.faultId,
    key: req.key,
    kind: req.kind,
    protocol: match.protocol,
    ...(match.srcPorts ? { srcPorts: match.srcPorts } : {}),
    ...(match.dstPorts ? { dstPorts: match.dstPorts } : {}),
    peers: match.peers,
    peerIsDst,
    ...(kept.length ? { protected: kept.map(keepEntry) } : {}),
    ...(magnitude.dropPpm === undefined ? {} : { dropPpm: magnitude.dropPpm }),
    ...(magnitude.delayMs === undefined ? {} : { delayMs: magnitude.delayMs }),
    ...(magnitude.jitterMs === undefined ? {} : { jitterMs: magnitude.jitterMs }),
    ttlMs,
  };
  const point: AttachPoint = {
    ifname: where.ifname,
    ...(where.netns ? { netns: where.netns } : {}),
    hook: where.hook,
    mode: ctx.attachMode,
    ...(fq ? { fq } : {}),
  };
  return { plan, program, point };
}
