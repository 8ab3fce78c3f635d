// Where DNS is measured from and against: a few pods of the affected
// workloads (by their network namespace), the cluster DNS address, NodeLocal
// DNSCache when it is deployed, and CoreDNS's metrics endpoints.
import type { Kube } from '../kubernetes/client.ts';
import { podInfo, type PodInfo } from '../kubernetes/inventory.ts';
import { netnsExists } from '../netns/run.ts';

export const NODELOCAL_DNS = '169.254.20.10';

export interface Vantage {
  /** "pod production/checkout-frontend-…" or "worker". */
  label: string;
  workload?: string;
  netns?: string;
}

/** One ready pod per workload (up to `max`), measured from its own network namespace when it has one here. */
export async function podVantages(
  kube: Kube,
  namespace: string,
  selector: string | undefined,
  max: number,
): Promise<{ vantages: Vantage[]; skipped: string[] }> {
  const [pods, deployments] = await Promise.all([
    kube.core.listNamespacedPod({ namespace, ...(selector ? { labelSelector: selector } : {}) }),
    kube.apps.listNamespacedDeployment({ namespace }).catch(() => ({ items: [] })),
  ]);
  const names = deployments.items.map((d) => d.metadata?.name ?? '');
  const infos: PodInfo[] = pods.items.map((p) => podInfo(p, names)).filter((p) => p.ready || p.phase === 'Running');
  const byWorkload = new Map<string, PodInfo>();
  for (const p of infos.sort((a, b) => a.name.localeCompare(b.name)))
    if (!byWorkload.has(p.workload)) byWorkload.set(p.workload, p);
  const vantages: Vantage[] = [];
  const skipped: string[] = [];
  for (const p of [...byWorkload.values()].slice(0, max)) {
    if (p.netns && netnsExists(p.netns))
      vantages.push({
        label: `pod ${p.namespace}/${p.name}`,
        workload: `${p.namespace}/${p.workload}`,
        netns: p.netns,
      });
    else skipped.push(`${p.namespace}/${p.name}`);
  }
  return { vantages, skipped };
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
