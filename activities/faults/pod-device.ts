// A pod's own device on its node: the one a fault on that pod attaches to.
// From the pod's network namespace when it is known: the interface holding
// the pod's IP is one end of a veth (or netkit) pair, and the other end, in
// the node's namespace, carries that pod's traffic alone (Cilium's lxc*,
// Calico's cali*, a bridge port). Without the namespace, where the node
// routes the pod's IP, and on a bridge the pod's port from the forwarding
// table. Either way a device other pods' traffic crosses too is refused:
// a default Cilium install routes the whole pod CIDR via cilium_host, so the
// route alone would put a fault on every pod of the node.
import { z } from 'zod';
import { runJson } from '../../bpf/index.ts';
import { ErrorType, failure } from '../../model/index.ts';
import type { PodRef } from '../../model/index.ts';

const routeSchema = z.object({
  dev: z.string().optional(),
  type: z.string().optional(),
  nexthops: z.array(z.object({ dev: z.string().optional() })).optional(),
});
/** `ip -j -d link show` and `ip -j -d addr show`: link_index is a pair's other end (in link_netnsid's namespace). */
const linkSchema = z.object({
  ifindex: z.number(),
  ifname: z.string(),
  link_index: z.number().optional(),
  address: z.string().optional(),
  linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
  addr_info: z.array(z.object({ local: z.string() })).default([]),
});
const neighSchema = z.object({ lladdr: z.string().optional() });
const fdbSchema = z.object({ mac: z.string(), ifname: z.string(), master: z.string().optional() });

type Link = z.infer<typeof linkSchema>;

/** Kinds whose two ends each sit in one namespace: the host end of a pod's pair is the pod's alone. */
const PAIR_KINDS = new Set(['veth', 'netkit']);
/** Devices every pod's traffic can cross, whatever their kind. */
const SHARED_NAMES: Record<string, string> = {
  lo: 'the loopback',
  cilium_host: "Cilium's host device, which a default install routes the whole pod CIDR through",
  cilium_net: "the other end of Cilium's host device",
};
const TUNNEL_KINDS = new Set(['vxlan', 'geneve', 'ipip', 'sit', 'gre', 'gretap', 'ip6gre', 'ip6tnl', 'wireguard']);

export function hostNetworkPod(pod: { namespace: string; name: string }, why: string): unknown {
  return failure(
    ErrorType.Refused,
    `pod ${pod.namespace}/${pod.name} ${why}: it shares the node's network (hostNetwork), so a fault on it ` +
      'would hit the node itself; nothing attached',
  );
}

const holds = (link: Link, ip: string) => link.addr_info.some((info) => info.local === ip);

/** The interface inside a pod's namespace that holds its IP. */
async function podLink(podIp: string, podNetns: string): Promise<Link> {
  const links = await runJson(linkSchema, 'ip', ['-j', '-d', 'addr', 'show'], { netns: podNetns });
  const found = links.find((l) => holds(l, podIp));
  if (!found) throw failure(ErrorType.NotFound, `no interface holds ${podIp} in namespace ${podNetns}`);
  return found;
}

export async function podInterface(podIp: string, podNetns: string): Promise<string> {
  return (await podLink(podIp, podNetns)).ifname;
}

/** Why a device carries more than one pod's traffic, or undefined when it is a pod's own. */
function sharedBy(link: Link | undefined, uplinks: Set<string>): string | undefined {
  if (!link) return 'a device the node does not list';
  const named = SHARED_NAMES[link.ifname];
  if (named) return named;
  if (uplinks.has(link.ifname)) return "the node's uplink (it holds the node's default route)";
  const kind = link.linkinfo?.info_kind;
  if (kind === 'bridge' || kind === 'openvswitch') return 'a bridge, shared by every pod on it';
  if (kind && TUNNEL_KINDS.has(kind)) return `a ${kind} tunnel, which carries every pod's traffic to other nodes`;
  if (!kind || !PAIR_KINDS.has(kind)) return `a ${kind ?? 'physical'} device, not the host end of a pod's veth pair`;
  return undefined;
}

/** The devices holding the node's default routes (IPv4 and IPv6). */
async function uplinks(nodeNetns: string | undefined): Promise<Set<string>> {
  const found = new Set<string>();
  for (const family of ['-4', '-6']) {
    const routes = await runJson(routeSchema, 'ip', ['-j', family, 'route', 'show', 'default'], {
      netns: nodeNetns,
    }).catch(() => []);
    for (const r of routes) for (const dev of [r.dev, ...(r.nexthops ?? []).map((h) => h.dev)]) if (dev) found.add(dev);
  }
  return found;
}

/**
 * The other end of the pod's pair, in the node's namespace: the link whose
 * ifindex is the pod interface's link_index and whose own link_index points
 * back (ifindexes are per namespace, so one direction alone could name a
 * stranger). Undefined when the pod's interface is no pair or its other end
 * is not in the node's namespace.
 */
function pairEnd(own: Link, links: Link[]): Link | undefined {
  if (!PAIR_KINDS.has(own.linkinfo?.info_kind ?? '')) return undefined;
  return links.find(
    (l) => l.ifindex === own.link_index && l.link_index === own.ifindex && PAIR_KINDS.has(l.linkinfo?.info_kind ?? ''),
  );
}

/** Where the node routes the pod's IP; on a bridge, the pod's port, found by its MAC in the forwarding table. */
async function routedDevice(
  pod: PodRef,
  dev: string | undefined,
  links: Link[],
  nodeNetns: string | undefined,
  podMac: string | undefined,
): Promise<string> {
  if (!dev) throw failure(ErrorType.NotFound, `no host-side interface routes to pod IP ${pod.ip}`);
  if (links.find((l) => l.ifname === dev)?.linkinfo?.info_kind !== 'bridge') return dev;
  const neigh = await runJson(neighSchema, 'ip', ['-j', 'neigh', 'show', pod.ip, 'dev', dev], {
    netns: nodeNetns,
  }).catch(() => []);
  const mac = neigh.find((n) => n.lladdr)?.lladdr ?? podMac;
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

/**
 * The host-side device of a pod: the other end of its interface's pair when
 * its namespace is known and that end is in the node's namespace, else where
 * its IP routes (a bridge's port for a bridge). Refused when that device is
 * one other pods' traffic crosses too. `missing` says why the pod has no
 * namespace, for the refusal.
 */
export async function podDevice(pod: PodRef, nodeNetns: string | undefined, missing?: string): Promise<string> {
  const route = (
    await runJson(routeSchema, 'ip', ['-j', 'route', 'get', pod.ip], { netns: nodeNetns }).catch(() => [])
  )[0];
  if (route?.type === 'local' || route?.dev === 'lo')
    throw hostNetworkPod(pod, `has IP ${pod.ip}, an address of the node`);
  const links = await runJson(linkSchema, 'ip', ['-j', '-d', 'link', 'show'], { netns: nodeNetns });
  const own = pod.netns ? await podLink(pod.ip, pod.netns) : undefined;
  const end = own && pairEnd(own, links);
  const dev = end?.ifname ?? (await routedDevice(pod, route?.dev, links, nodeNetns, own?.address));
  const why = sharedBy(
    links.find((l) => l.ifname === dev),
    await uplinks(nodeNetns),
  );
  if (!why) return dev;
  const where = end
    ? `its ${own?.ifname} in namespace ${pod.netns} pairs with ${dev}`
    : (own ? `its ${own.ifname} in namespace ${pod.netns} has no pair end in the node's namespace, and ` : '') +
      (dev === route?.dev ? `${pod.ip} routes via ${dev}` : `${pod.ip} routes through bridge ${route?.dev} to ${dev}`);
  const hint = pod.netns
    ? ''
    : ` (the pod's own device is found from its network namespace, and it has none here: ${missing ?? 'none was given'})`;
  throw failure(
    ErrorType.Refused,
    `pod ${pod.namespace}/${pod.name}: ${where}, ${why}: a fault there would hit every pod whose traffic ` +
      `crosses it; nothing attached${hint}`,
  );
}
