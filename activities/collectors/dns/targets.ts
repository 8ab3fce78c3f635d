// Where DNS is measured from and against: a ready pod of each affected
// workload (its node's agent measures from inside it), the cluster DNS
// address, NodeLocal DNSCache when it is deployed, and CoreDNS's metrics.
import type { PodOnNode } from '../../../model/index.ts';
import type { Kube } from '../kubernetes/client.ts';
import { podInfo, type PodInfo } from '../kubernetes/inventory.ts';

export const NODELOCAL_DNS = '169.254.20.10';

export interface PodVantage {
  /** "pod production/checkout-frontend-…" */
  label: string;
  workload: string;
  pod: PodOnNode;
}

/** One running pod with an IP and a node per workload (ready ones first), up to `max` workloads. */
export async function podVantages(
  kube: Kube,
  namespace: string,
  selector: string | undefined,
  max: number,
): Promise<PodVantage[]> {
  const [pods, deployments] = await Promise.all([
    kube.core.listNamespacedPod({ namespace, ...(selector ? { labelSelector: selector } : {}) }),
    kube.apps.listNamespacedDeployment({ namespace }).catch(() => ({ items: [] })),
  ]);
  const names = deployments.items.map((d) => d.metadata?.name ?? '');
  const infos: PodInfo[] = pods.items
    .map((p) => podInfo(p, names))
    .filter((p) => (p.ready || p.phase === 'Running') && p.ip && p.node);
  const byWorkload = new Map<string, PodInfo>();
  const order = (a: PodInfo, b: PodInfo) => Number(b.ready) - Number(a.ready) || a.name.localeCompare(b.name);
  for (const p of infos.sort(order)) if (!byWorkload.has(p.workload)) byWorkload.set(p.workload, p);
  return [...byWorkload.values()].slice(0, max).map((p) => ({
    label: `pod ${p.namespace}/${p.name}`,
    workload: `${p.namespace}/${p.workload}`,
    pod: { namespace: p.namespace, name: p.name, ip: p.ip as string, node: p.node as string },
  }));
}

/** The cluster DNS Service address (kube-system/kube-dns), and NodeLocal DNSCache when its DaemonSet exists. */
export async function clusterDnsServers(
  kube: Kube,
): Promise<{ servers: { address: string; kind: 'cluster-dns' | 'nodelocal' }[]; metrics: string[] }> {
  const servers: { address: string; kind: 'cluster-dns' | 'nodelocal' }[] = [];
  const metrics: string[] = [];
  const [service, slices, nodelocal] = await Promise.all([
    kube.core.readNamespacedService({ namespace: 'kube-system', name: 'kube-dns' }).catch(() => undefined),
    kube.discovery
      .listNamespacedEndpointSlice({ namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' })
      .catch(() => undefined),
    kube.apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: 'node-local-dns' }).catch(() => undefined),
  ]);
  const ip = service?.spec?.clusterIP;
  if (ip && ip !== 'None') servers.push({ address: ip, kind: 'cluster-dns' });
  if (nodelocal) servers.push({ address: NODELOCAL_DNS, kind: 'nodelocal' });
  for (const slice of slices?.items ?? []) {
    const port = slice.ports?.find((p) => p.name === 'metrics')?.port;
    if (!port) continue;
    for (const ep of slice.endpoints ?? [])
      for (const address of ep.addresses ?? []) metrics.push(`http://${address}:${port}/metrics`);
  }
  return { servers, metrics };
}
