// The lab cluster as the policy compiler sees it: its pods (with the
// addresses and host-side veths the simulator gave them), its namespaces,
// the lab's fixed addresses (nodes and their bridges are reserved:host, the
// control-plane host is the API server's), CoreDNS as the kube-system
// `k8s-app=kube-dns` endpoint it would be on a cluster (in the lab it is a
// process on the host, at DNS_IP), and the names the lab DNS serves outside
// the cluster, for toFQDNs. Pure: main.ts feeds it from informers.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { EXTERNAL_NAMES } from '../control-plane/coredns.ts';
import { DNS_IP, HOST_IP, NODES, POD_ANNOTATIONS } from '../topology.ts';
import type { Compiled } from './compile.ts';
import type { ClusterView } from './identity.ts';

/** CoreDNS as a cluster endpoint: what a `k8s-app: kube-dns` selector in kube-system picks. */
export const KUBE_DNS = { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' } } as const;

/** What the simulator tells the agent before a pod's containers start (as a CNI plugin tells Cilium's agent). */
export const podEndpointSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  ip: z.ipv4(),
  labels: z.record(z.string(), z.string()),
  hostInterface: z.string().min(1),
  nodeNetns: z.string().min(1),
});
export type PodEndpoint = z.infer<typeof podEndpointSchema>;

/** A pod the datapath must enforce on: its view entry and where its host-side veth is. */
export interface LabPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ips: string[];
  host?: { ifname: string; netns: string };
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Pods with an address, the informer's view completed by endpoints announced before it caught up. */
export function labPods(pods: V1Pod[], announced: ReadonlyMap<string, PodEndpoint>): LabPod[] {
  const byIp = new Map<string, { pod: LabPod; terminating: boolean }>();
  const seen = new Set<string>();
  const add = (pod: LabPod, terminating: boolean) => {
    for (const ip of pod.ips) {
      const held = byIp.get(ip);
      // An address freed by a terminating pod may already be a new pod's: the live one has it.
      if (held && !held.terminating && terminating) continue;
      byIp.set(ip, { pod, terminating });
    }
  };
  for (const pod of pods) {
    // A hostNetwork pod is its node, as far as policy goes (Cilium: reserved:host), not an endpoint.
    if (pod.spec?.hostNetwork) continue;
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const a = announced.get(key(namespace, name));
    seen.add(key(namespace, name));
    const notes = pod.metadata?.annotations ?? {};
    const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : a ? [a.ip] : []);
    if (ips.length === 0) continue;
    const ifname = notes[POD_ANNOTATIONS.hostInterface] ?? a?.hostInterface;
    const netns = notes[POD_ANNOTATIONS.nodeNetns] ?? a?.nodeNetns;
    add(
      {
        namespace,
        name,
        labels: pod.metadata?.labels ?? a?.labels ?? {},
        ips,
        ...(ifname && netns ? { host: { ifname, netns } } : {}),
      },
      pod.metadata?.deletionTimestamp !== undefined,
    );
  }
  for (const a of announced.values())
    if (!seen.has(key(a.namespace, a.name)))
      add(
        {
          namespace: a.namespace,
          name: a.name,
          labels: a.labels,
          ips: [a.ip],
          host: { ifname: a.hostInterface, netns: a.nodeNetns },
        },
        false,
      );
  return [...new Set([...byIp.values()].map((v) => v.pod))];
}

/** The compiler's view of the lab. */
export function labClusterView(pods: LabPod[], namespaces: V1Namespace[]): ClusterView {
  return {
    namespaces: namespaces.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} })),
    pods: [
      ...pods.map((p) => ({ namespace: p.namespace, name: p.name, labels: p.labels, ips: p.ips })),
      { ...KUBE_DNS, labels: { ...KUBE_DNS.labels }, ips: [DNS_IP] },
    ],
    // Node-to-pod traffic (readiness probes) leaves a node from its bridge address.
    hostIps: NODES.flatMap((n) => [n.ip, n.gateway]),
    // The control-plane host: the API server, and the lab's host processes (gateway, probe, Prometheus) beside it.
    apiServerIps: [HOST_IP],
    dns: Object.fromEntries(Object.entries(EXTERNAL_NAMES).map(([name, ip]) => [name, [ip]])),
  };
}

/**
 * Keep endpoint ids stable across compilations: compile() numbers endpoints
 * in sorted order, so a new pod would shift others' ids and every policy key
 * with them. `ids` remembers one id per pod for as long as it exists.
 */
export function stableIds(compiled: Compiled, ids: Map<string, number>): Compiled {
  const live = new Set(compiled.endpoints.map((e) => key(e.namespace, e.pod)));
  for (const k of [...ids.keys()]) if (!live.has(k)) ids.delete(k);
  let next = Math.max(0, ...ids.values()) + 1;
  const remap = new Map<number, number>();
  const endpoints = compiled.endpoints.map((e) => {
    const k = key(e.namespace, e.pod);
    let id = ids.get(k);
    if (id === undefined) {
      id = next++;
      ids.set(k, id);
    }
    remap.set(e.id, id);
    return { ...e, id };
  });
  const entries = compiled.entries.map((e) => ({ ...e, endpoint: remap.get(e.endpoint) ?? e.endpoint }));
  return { ...compiled, endpoints, entries };
}
