// Pods, workloads, services (from EndpointSlices), nodes and Warning events,
// reduced from API objects to the figures an incident needs.
import type { CoreV1Event, V1Deployment, V1EndpointSlice, V1Node, V1Pod } from '@kubernetes/client-node';

export const NETNS_ANNOTATION = 'nightshift.dev/netns';
export const HOST_INTERFACE_ANNOTATION = 'nightshift.dev/host-interface';

export interface PodInfo {
  namespace: string;
  name: string;
  workload: string;
  labels: Record<string, string>;
  node?: string;
  ip?: string;
  phase?: string;
  ready: boolean;
  restarts: number;
  /** Why a container is waiting or last terminated (CrashLoopBackOff, OOMKilled, ...). */
  reasons: string[];
  /** The pod's network namespace name (lab), for collectors that enter it. */
  netns?: string;
  hostInterface?: string;
}

export interface WorkloadInfo {
  namespace: string;
  name: string;
  kind: 'Deployment';
  replicas: number;
  ready: number;
  available: number;
  updated: number;
  generation?: number;
  observedGeneration?: number;
  revision?: string;
  selector: Record<string, string>;
  /** Conditions that are not as they should be. */
  problems: string[];
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  ready: number;
  notReady: number;
  addresses: string[];
}

export interface NodeInfo {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  /** Conditions that are not as they should be (e.g. "MemoryPressure=True"). */
  problems: string[];
  internalIp?: string;
}

export interface EventInfo {
  namespace: string;
  object: string;
  reason: string;
  message: string;
  count: number;
  lastSeen?: string;
}

/** The Deployment a pod belongs to: its ReplicaSet's name minus the pod-template hash, else its app label. */
export function workloadOf(pod: V1Pod, deployments: string[]): string {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner && hash && owner.endsWith(`-${hash}`)) return owner.slice(0, -hash.length - 1);
  if (owner) {
    const base = owner.replace(/-[a-z0-9]{5,10}$/, '');
    if (deployments.includes(base)) return base;
  }
  return pod.metadata?.labels?.app ?? pod.metadata?.name ?? '?';
}

export function podInfo(pod: V1Pod, deployments: string[]): PodInfo {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const reasons = statuses.flatMap((s) => [
    ...(s.state?.waiting?.reason ? [s.state.waiting.reason] : []),
    ...(s.lastState?.terminated?.reason ? [`last: ${s.lastState.terminated.reason}`] : []),
  ]);
  const annotations = pod.metadata?.annotations ?? {};
  const netns = annotations[NETNS_ANNOTATION];
  const hostInterface = annotations[HOST_INTERFACE_ANNOTATION];
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '?',
    workload: workloadOf(pod, deployments),
    labels: pod.metadata?.labels ?? {},
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(pod.status?.podIP ? { ip: pod.status.podIP } : {}),
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
    ready,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    reasons,
    ...(netns ? { netns } : {}),
    ...(hostInterface ? { hostInterface } : {}),
  };
}

export function workloadInfo(d: V1Deployment): WorkloadInfo {
  const problems = (d.status?.conditions ?? [])
    .filter(
      (c) =>
        (c.type === 'Available' && c.status !== 'True') ||
        (c.type === 'Progressing' && c.status === 'False') ||
        (c.type === 'ReplicaFailure' && c.status === 'True'),
    )
    .map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  return {
    namespace: d.metadata?.namespace ?? 'default',
    name: d.metadata?.name ?? '?',
    kind: 'Deployment',
    replicas: d.spec?.replicas ?? 1,
    ready: d.status?.readyReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    ...(d.metadata?.generation === undefined ? {} : { generation: d.metadata.generation }),
    ...(d.status?.observedGeneration === undefined ? {} : { observedGeneration: d.status.observedGeneration }),
    ...(d.metadata?.annotations?.['deployment.kubernetes.io/revision']
      ? { revision: d.metadata.annotations['deployment.kubernetes.io/revision'] }
      : {}),
    selector: d.spec?.selector?.matchLabels ?? {},
    problems,
  };
}

/** Services by name, summing their EndpointSlices. */
export function servicesOf(slices: V1EndpointSlice[]): ServiceInfo[] {
  const byName = new Map<string, ServiceInfo>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!name) continue;
    const namespace = slice.metadata?.namespace ?? 'default';
    const key = `${namespace}/${name}`;
    const info = byName.get(key) ?? { namespace, name, ready: 0, notReady: 0, addresses: [] };
    for (const ep of slice.endpoints ?? []) {
      const ready = ep.conditions?.ready !== false;
      if (ready) info.ready++;
      else info.notReady++;
      info.addresses.push(...(ep.addresses ?? []));
    }
    byName.set(key, info);
  }
  return [...byName.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

export function nodeInfo(node: V1Node): NodeInfo {
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  const problems = conditions
    .filter((c) => (c.type === 'Ready' ? c.status !== 'True' : c.status === 'True'))
    .map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  const internalIp = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return {
    name: node.metadata?.name ?? '?',
    ready,
    unschedulable: node.spec?.unschedulable === true,
    problems,
    ...(internalIp ? { internalIp } : {}),
  };
}

export function eventInfo(e: CoreV1Event): EventInfo {
  const last = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return {
    namespace: e.metadata?.namespace ?? e.involvedObject?.namespace ?? 'default',
    object: `${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}`,
    reason: e.reason ?? '?',
    message: (e.message ?? '').slice(0, 300),
    count: e.count ?? 1,
    ...(last ? { lastSeen: new Date(last).toISOString() } : {}),
  };
}
