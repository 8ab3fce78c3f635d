// From an inject request to exactly what gets attached where: the interface
// (by name, or a pod's host-side peer by route lookup), the tc hook, the pin
// path and the program's match. Nothing is changed here.
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
import type { AttachmentPlan, Direction, InjectRequest, ProtectedPeer } from '../../model/index.ts';
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
}

export interface Planned {
  plan: AttachmentPlan;
  program: ProgramSpec;
  point: AttachPoint;
}

const routeSchema = z.object({ dev: z.string(), type: z.string().optional() });
const addrSchema = z.object({
  ifname: z.string(),
  address: z.string().optional(),
  addr_info: z.array(z.object({ local: z.string() })).default([]),
});
const detailSchema = z.object({ linkinfo: z.object({ info_kind: z.string().optional() }).optional() });
const neighSchema = z.object({ lladdr: z.string().optional() });
const fdbSchema = z.object({ mac: z.string(), ifname: z.string(), master: z.string().optional() });
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

function hostNetworkPod(pod: { namespace: string; name: string }, why: string): unknown {
  return failure(
    ErrorType.Refused,
    `pod ${pod.namespace}/${pod.name} ${why}: it shares the node's network (hostNetwork), so a fault on it ` +
      'would hit the node itself; nothing attached',
  );
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
 * The host-side interface of a pod: where its IP routes (a veth peer,
 * Cilium's lxc*). When that is a bridge (kubenet's cbr0, flannel's cni0, the
 * lab), the pod's own port on the bridge, found by its MAC in the bridge's
 * forwarding table: attaching to the bridge itself would hit every pod on it.
 */
async function hostInterface(
  pod: { namespace: string; name: string; ip: string; netns?: string },
  nodeNetns: string | undefined,
): Promise<string> {
  const routes = await runJson(routeSchema, 'ip', ['-j', 'route', 'get', pod.ip], { netns: nodeNetns }).catch(() => []);
  const dev = routes[0]?.dev;
  if (routes[0]?.type === 'local' || dev === 'lo')
    throw hostNetworkPod(pod, `has IP ${pod.ip}, an address of the node`);
  if (!dev) throw failure(ErrorType.NotFound, `no host-side interface routes to pod IP ${pod.ip}`);
  const link = await runJson(detailSchema, 'ip', ['-j', '-d', 'link', 'show', 'dev', dev], { netns: nodeNetns }).catch(
    () => [],
  );
  if (link[0]?.linkinfo?.info_kind !== 'bridge') return dev;
  const mac = (await neighbourMac(pod.ip, dev, nodeNetns)) ?? (pod.netns ? await podMac(pod.ip, pod.netns) : undefined);
  const fdb = mac
    ? await runJson(fdbSchema, 'bridge', ['-j', 'fdb', 'show', 'br', dev], { netns: nodeNetns }).catch(() => [])
    : [];
  const port = fdb.find((e) => e.mac === mac && e.master === dev && e.ifname !== dev)?.ifname;
  if (!port) {
    throw failure(
      ErrorType.NotFound,
      `pod IP ${pod.ip} routes through bridge ${dev} and its port on the bridge could not be found ` +
        '(no neighbour entry or forwarding entry for its MAC); nothing attached rather than faulting every pod on the bridge',
    );
  }
  return port;
}

async function neighbourMac(ip: string, dev: string, netns: string | undefined): Promise<string | undefined> {
  const neigh = await runJson(neighSchema, 'ip', ['-j', 'neigh', 'show', ip, 'dev', dev], { netns }).catch(() => []);
  return neigh.find((n) => n.lladdr)?.lladdr;
}

async function podMac(ip: string, podNetns: string): Promise<string | undefined> {
  const addrs = await runJson(addrSchema, 'ip', ['-j', 'addr', 'show'], { netns: podNetns }).catch(() => []);
  return addrs.find((a) => a.addr_info.some((info) => info.local === ip))?.address;
}

/** The interface inside a pod's namespace that holds its IP. */
async function podInterface(podIp: string, podNetns: string): Promise<string> {
  const addrs = await runJson(addrSchema, 'ip', ['-j', 'addr', 'show'], { netns: podNetns });
  const found = addrs.find((a) => a.addr_info.some((info) => info.local === podIp));
  if (!found) throw failure(ErrorType.NotFound, `no interface holds ${podIp} in namespace ${podNetns}`);
  return found.ifname;
}

async function placement(
  req: InjectRequest,
  ctx: AgentContext,
): Promise<{ netns?: string; ifname: string; hook: Direction }> {
  const { target, match } = req;
  if (target.interface) {
    const netns = target.netns ?? ctx.nodeNetns;
    requireNetns(netns, 'target');
    await requireInterface(target.interface, netns);
    return { ...(netns ? { netns } : {}), ifname: target.interface, hook: match.direction };
  }
  const pod = target.pod;
  if (!pod) throw failure(ErrorType.InvalidInput, 'target: needs an interface or a pod');
  const podNs = requireNetns(pod.netns, `pod ${pod.namespace}/${pod.name}`);
  const nodeNs = requireNetns(ctx.nodeNetns, 'node') ?? '/proc/self/ns/net';
  if (podNs && sameNamespace(podNs, nodeNs)) throw hostNetworkPod(pod, `names the node's own network namespace`);
  if (req.kind === 'delay' && match.direction === 'egress') {
    // The host-side peer sees a pod's egress at tc ingress, where a departure time delays nothing.
    if (!pod.netns) {
      throw failure(
        ErrorType.Unsupported,
        `delaying what pod ${pod.namespace}/${pod.name} sends needs its network namespace (annotation nightshift.dev/netns)`,
      );
    }
    return { netns: pod.netns, ifname: await podInterface(pod.ip, pod.netns), hook: 'egress' };
  }
  const ifname = await hostInterface(pod, ctx.nodeNetns);
  return { ...(ctx.nodeNetns ? { netns: ctx.nodeNetns } : {}), ifname, hook: opposite(match.direction) };
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
    ...(req.target.pod ? { pod: req.target.pod } : {}),
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
