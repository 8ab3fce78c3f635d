// Who is behind an IP address, the way Hubble labels flow endpoints: pods
// (namespace, name, k8s: labels, workload, node), nodes and the host
// (reserved:host), Service addresses without pods (cluster DNS, the lab
// gateway), everything else reserved:world. Also which network namespace
// (by inode) belongs to which node, to place drops.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import type { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { podWorkload } from '../../activities/index.ts';
import { POD_ANNOTATIONS } from '../topology.ts';

export interface EndpointInfo {
  namespace?: string;
  pod?: string;
  labels: string[];
  workload?: { name: string; kind: string };
  node?: string;
  identity: number;
}

export interface PodNetns {
  namespace: string;
  pod: string;
  netns: string;
  node?: string;
  /** The node-side end of the pod's veth, and the node namespace it lives in. */
  host?: { netns: string; ifname: string };
}

/** What the tap needs to know about the cluster. Tests give a fixed one. */
export interface EndpointSource {
  /** Who has this address; `port` picks among Services sharing a host address. */
  byIp(ip: string, port?: number): EndpointInfo;
  /** Pods with a network namespace on this host: where flowtap attaches. */
  podNamespaces(): PodNetns[];
  /** The node (or "host") a network namespace inode belongs to. */
  nodeOfNetns(inode: number): string | undefined;
  refresh(): Promise<void>;
}

/** A small, stable number per label set, as Cilium's identities are. */
export function identityOf(labels: string[]): number {
  return (
    256 +
    (createHash('sha256')
      .update([...labels].sort().join(','))
      .digest()
      .readUInt32BE(0) %
      65000)
  );
}

const reserved = (name: string): EndpointInfo => ({
  labels: [`reserved:${name}`],
  identity: name === 'host' ? 1 : name === 'world' ? 2 : 3,
});

export const NETNS_DIR = '/run/netns';

/** Inodes of the named network namespaces (and the root one as "host"). */
export function netnsInodes(): Map<number, string> {
  const out = new Map<number, string>();
  try {
    out.set(statSync('/proc/1/ns/net').ino, 'host');
  } catch {
    // not allowed to look: drops in the root namespace stay unplaced
  }
  for (const name of readdirSync(NETNS_DIR, { withFileTypes: false }).map(String)) {
    try {
      out.set(statSync(`${NETNS_DIR}/${name}`).ino, name);
    } catch {
      // a namespace removed while listing
    }
  }
  return out;
}

/** Endpoints from the Kubernetes API of the lab (pods, nodes, Services, EndpointSlices). */
export class KubeEndpoints implements EndpointSource {
  private ips = new Map<string, EndpointInfo>();
  /** Services whose endpoints are not pods (the host: API server, lab gateway), by address and port. */
  private hostServices = new Map<string, EndpointInfo>();
  private pods: PodNetns[] = [];
  private netnsNode = new Map<string, string>();
  private inodes = new Map<number, string>();
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;

  constructor(core: CoreV1Api, discovery: DiscoveryV1Api) {
    this.core = core;
    this.discovery = discovery;
  }

  byIp(ip: string, port?: number): EndpointInfo {
    return (
      (port === undefined ? undefined : this.hostServices.get(`${ip}:${port}`)) ?? this.ips.get(ip) ?? reserved('world')
    );
  }

  podNamespaces(): PodNetns[] {
    return this.pods;
  }

  nodeOfNetns(inode: number): string | undefined {
    const name = this.inodes.get(inode);
    return name === undefined ? undefined : (this.netnsNode.get(name) ?? (name === 'host' ? 'host' : undefined));
  }

  async refresh(): Promise<void> {
    const [pods, nodes, services, slices] = await Promise.all([
      this.core.listPodForAllNamespaces({}),
      this.core.listNode({}),
      this.core.listServiceForAllNamespaces({}),
      this.discovery.listEndpointSliceForAllNamespaces({}),
    ]);
    const ips = new Map<string, EndpointInfo>();
    const netnsNode = new Map<string, string>();
    for (const node of nodes.items) {
      const name = node.metadata?.name ?? '?';
      const netns = node.metadata?.annotations?.['nightshift.dev/netns'];
      if (netns) netnsNode.set(netns, name);
      for (const a of node.status?.addresses ?? [])
        if (a.type === 'InternalIP') ips.set(a.address, { ...reserved('host'), node: name });
    }
    for (const svc of services.items) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === 'None') continue;
      const labels = [
        `k8s:io.kubernetes.pod.namespace=${svc.metadata?.namespace}`,
        ...Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => `k8s:${k}=${v}`),
      ];
      ips.set(ip, {
        namespace: svc.metadata?.namespace ?? 'default',
        labels,
        workload: { name: svc.metadata?.name ?? '?', kind: 'Service' },
        identity: identityOf(labels),
      });
    }
    const hostServices = new Map<string, EndpointInfo>();
    for (const slice of slices.items) {
      const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
      if (!service) continue;
      const labels = [`k8s:io.kubernetes.pod.namespace=${slice.metadata?.namespace}`];
      const info: EndpointInfo = {
        namespace: slice.metadata?.namespace ?? 'default',
        labels,
        workload: { name: service, kind: 'Service' },
        identity: identityOf(labels),
      };
      for (const ep of slice.endpoints ?? []) {
        if (ep.targetRef?.kind === 'Pod') continue;
        for (const address of ep.addresses ?? []) {
          for (const port of slice.ports ?? []) if (port.port) hostServices.set(`${address}:${port.port}`, info);
          if (!ips.has(address)) ips.set(address, { ...reserved('host') });
        }
      }
    }
    const podList: PodNetns[] = [];
    for (const pod of pods.items) {
      // A hostNetwork pod has its node's address: Cilium gives that the host identity, not the pod's.
      if (pod.spec?.hostNetwork) continue;
      const namespace = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '?';
      const labels = [
        ...Object.entries(pod.metadata?.labels ?? {}).map(([k, v]) => `k8s:${k}=${v}`),
        `k8s:io.kubernetes.pod.namespace=${namespace}`,
      ].sort();
      const node = pod.spec?.nodeName;
      const annotations = pod.metadata?.annotations ?? {};
      const netns = annotations[POD_ANNOTATIONS.netns];
      const hostNetns = annotations[POD_ANNOTATIONS.nodeNetns];
      const hostIf = annotations[POD_ANNOTATIONS.hostInterface];
      const info: EndpointInfo = {
        namespace,
        pod: name,
        labels,
        workload: { name: podWorkload(name), kind: 'Deployment' },
        ...(node ? { node } : {}),
        identity: identityOf(labels),
      };
      for (const ip of pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []))
        ips.set(ip, info);
      if (netns) {
        podList.push({
          namespace,
          pod: name,
          netns,
          ...(node ? { node } : {}),
          ...(hostNetns && hostIf ? { host: { netns: hostNetns, ifname: hostIf } } : {}),
        });
        if (node) netnsNode.set(netns, node);
      }
    }
    this.ips = ips;
    this.hostServices = hostServices;
    this.pods = podList;
    this.netnsNode = netnsNode;
    this.inodes = netnsInodes();
  }
}
