// From a snapshot to the Kubernetes evidence and its findings. Pure: the
// same snapshot always gives the same evidence.
import { policyName, policyObjects, selects, toPolicies, type Policy } from '../../policy/index.ts';
import type { Findings } from '../result.ts';
import { round } from '../result.ts';
import {
  eventInfo,
  nodeInfo,
  podInfo,
  servicesOf,
  workloadInfo,
  type EventInfo,
  type NodeInfo,
  type PodInfo,
  type ServiceInfo,
  type WorkloadInfo,
} from './inventory.ts';
import { httpRouteSchema, readRoute, type RouteInfo } from './routes.ts';
import type { KubeSnapshot, ReadProblem } from './snapshot.ts';

export interface PolicyInfo {
  /** "CiliumNetworkPolicy finance/secure-payment-gateway". */
  name: string;
  /** metadata.name */
  objectName: string;
  kind: string;
  namespace?: string;
  changedAt?: string;
  /** Pods of the snapshot this policy selects, and their workloads. */
  selectsPods: number;
  selectsWorkloads: string[];
  /** Whether the object keeps kubectl's last-applied copy (a previous version may be known). */
  lastApplied: boolean;
  /** The object itself, so the diagnosis can ask the analyser about failing flows. */
  object: unknown;
}

export interface KubeEvidence {
  namespaces: string[];
  selector?: string;
  pods: PodInfo[];
  workloads: WorkloadInfo[];
  services: ServiceInfo[];
  events: EventInfo[];
  policies: PolicyInfo[];
  routes: RouteInfo[];
  nodes: NodeInfo[];
  namespaceLabels: Record<string, Record<string, string>>;
  api: { calls: number; p50Ms: number; maxMs: number };
  problems: ReadProblem[];
  at: string;
}

export function assembleKube(snap: KubeSnapshot, windowMs: number, findings: Findings): KubeEvidence {
  const now = Date.parse(snap.at);
  const deploymentNames = snap.deployments.map((d) => d.metadata?.name ?? '');
  const pods = snap.pods
    .map((p) => podInfo(p, deploymentNames))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const workloads = snap.deployments.map(workloadInfo);
  const services = servicesOf(snap.slices);
  const events = snap.events.map(eventInfo).filter((e) => !e.lastSeen || now - Date.parse(e.lastSeen) <= windowMs);
  const nodes = snap.nodes.map(nodeInfo);
  const routes = snap.routes.flatMap((r) => {
    const parsed = httpRouteSchema.safeParse(r);
    return parsed.success ? [readRoute(parsed.data)] : [];
  });
  const policies = policyInfos(snap, pods);
  const sorted = [...snap.latencies].sort((a, b) => a - b);
  const api = {
    calls: sorted.length,
    p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
  };

  findProblems(snap.problems, findings);
  findPods(pods, workloads, findings);
  findServices(services, findings);
  findNodes(nodes, pods, findings);
  findEvents(events, findings);
  findPolicies(policies, now, windowMs, findings);
  findRoutes(routes, findings);
  if (api.p50Ms > 1000)
    findings.add(
      'kubernetes.api-slow',
      'warning',
      `the API server answered slowly: p50 ${api.p50Ms} ms, max ${api.maxMs} ms over ${api.calls} calls`,
      api,
    );
  return {
    namespaces: snap.namespaces,
    ...(snap.selector ? { selector: snap.selector } : {}),
    pods,
    workloads,
    services,
    events,
    policies,
    routes,
    nodes,
    namespaceLabels: snap.namespaceLabels,
    api,
    problems: snap.problems,
    at: snap.at,
  };
}

function policyInfos(snap: KubeSnapshot, pods: PodInfo[]): PolicyInfo[] {
  const objects = policyObjects(snap.policies, 'cluster').objects;
  return objects.flatMap((object) => {
    const model: Policy[] = toPolicies([object]).policies;
    const selected = pods.filter((p) =>
      model.some((m) =>
        selects(m, {
          namespace: p.namespace,
          labels: p.labels,
          namespaceLabels: snap.namespaceLabels[p.namespace] ?? {},
          external: false,
        }),
      ),
    );
    const first = model[0];
    return [
      {
        name: first ? policyName(first.ref) : `${object.kind} ${object.metadata.name}`,
        objectName: object.metadata.name,
        kind: object.kind,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        ...(first?.changedAt ? { changedAt: first.changedAt } : {}),
        selectsPods: selected.length,
        selectsWorkloads: [...new Set(selected.map((p) => `${p.namespace}/${p.workload}`))].sort(),
        lastApplied: object.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined,
        object,
      },
    ];
  });
}

function findProblems(problems: ReadProblem[], findings: Findings): void {
  for (const p of problems) {
    if (p.kind === 'forbidden') {
      findings.add(
        'kubernetes.forbidden',
        'warning',
        `nightshift may not ${p.what}: grant that verb on that resource to its service account (${p.message})`,
        { what: p.what },
        `forbidden:${p.what}`,
      );
    } else if (p.kind === 'not-found') {
      const crd = /cilium|httproutes/.test(p.what) ? ' (the CRD is not installed: those objects are not analysed)' : '';
      findings.add(
        'kubernetes.missing',
        'info',
        `could not ${p.what}: not found${crd}`,
        { what: p.what },
        `missing:${p.what}`,
      );
    } else {
      findings.add(
        'kubernetes.read-failed',
        'warning',
        `could not ${p.what}: ${p.message}`,
        { what: p.what },
        `failed:${p.what}`,
      );
    }
  }
}

function findPods(pods: PodInfo[], workloads: WorkloadInfo[], findings: Findings): void {
  const byWorkload = new Map<string, PodInfo[]>();
  for (const p of pods)
    byWorkload.set(`${p.namespace}/${p.workload}`, [...(byWorkload.get(`${p.namespace}/${p.workload}`) ?? []), p]);
  for (const [workload, list] of byWorkload) {
    const notReady = list.filter((p) => !p.ready);
    if (notReady.length) {
      const reasons = [...new Set(notReady.flatMap((p) => p.reasons))];
      findings.add(
        'kubernetes.pods-not-ready',
        notReady.length === list.length ? 'critical' : 'warning',
        `${workload}: ${notReady.length} of ${list.length} pod(s) not ready${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
        { workload, pods: notReady.map((p) => p.name) },
        `not-ready:${workload}`,
      );
    }
    const restarts = list.reduce((sum, p) => sum + p.restarts, 0);
    if (restarts > 0) {
      findings.add(
        'kubernetes.restarts',
        'warning',
        `${workload}: ${restarts} container restart(s)`,
        { workload, restarts },
        `restarts:${workload}`,
      );
    }
  }
  for (const w of workloads) {
    if (w.ready < w.replicas || w.problems.length) {
      findings.add(
        'kubernetes.workload-degraded',
        w.ready === 0 ? 'critical' : 'warning',
        `Deployment ${w.namespace}/${w.name}: ${w.ready}/${w.replicas} ready${w.problems.length ? `, ${w.problems.join(', ')}` : ''}`,
        { workload: `${w.namespace}/${w.name}` },
        `degraded:${w.namespace}/${w.name}`,
      );
    }
  }
}

function findServices(services: ServiceInfo[], findings: Findings): void {
  for (const s of services) {
    if (s.ready === 0) {
      findings.add(
        'kubernetes.endpoints-empty',
        'critical',
        `Service ${s.namespace}/${s.name} has no ready endpoints (${s.notReady} not ready)`,
        { service: `${s.namespace}/${s.name}` },
        `endpoints-empty:${s.namespace}/${s.name}`,
      );
    }
  }
}

function findNodes(nodes: NodeInfo[], pods: PodInfo[], findings: Findings): void {
  const used = new Set(pods.flatMap((p) => (p.node ? [p.node] : [])));
  for (const n of nodes) {
    const hosts = used.has(n.name) ? ' (hosts affected pods)' : '';
    if (!n.ready)
      findings.add(
        'kubernetes.node-not-ready',
        'critical',
        `node ${n.name} is not Ready${hosts}: ${n.problems.join(', ')}`,
        { node: n.name },
        `node-not-ready:${n.name}`,
      );
    else if (n.problems.length)
      findings.add(
        'kubernetes.node-conditions',
        'warning',
        `node ${n.name}${hosts}: ${n.problems.join(', ')}`,
        { node: n.name },
        `node-conditions:${n.name}`,
      );
    if (n.unschedulable)
      findings.add(
        'kubernetes.node-cordoned',
        'info',
        `node ${n.name} is cordoned`,
        { node: n.name },
        `cordoned:${n.name}`,
      );
  }
}

function findEvents(events: EventInfo[], findings: Findings): void {
  const byReason = new Map<string, EventInfo[]>();
  for (const e of events) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e]);
  for (const [reason, list] of [...byReason].sort((a, b) => b[1].length - a[1].length).slice(0, 5)) {
    const count = list.reduce((sum, e) => sum + e.count, 0);
    const example = list[0] as EventInfo;
    findings.add(
      'kubernetes.warning-events',
      'info',
      `${count} Warning event(s) ${reason}, e.g. ${example.object}: ${example.message}`,
      { reason, count, objects: list.map((e) => e.object).slice(0, 10) },
      `events:${reason}`,
    );
  }
}

function findPolicies(policies: PolicyInfo[], now: number, windowMs: number, findings: Findings): void {
  // Any policy changed in the window: one in another namespace decides the flows into its pods.
  for (const p of policies) {
    const changed = p.changedAt ? now - Date.parse(p.changedAt) : undefined;
    if (changed !== undefined && changed >= 0 && changed <= windowMs) {
      const selects = p.selectsPods ? `selects ${p.selectsWorkloads.join(', ')}` : 'selects none of the pods read';
      findings.add(
        'kubernetes.policy-changed',
        'warning',
        `${p.name} changed ${round(changed / 60_000, 1)} min ago and ${selects}`,
        { policy: p.name, changedAt: p.changedAt, workloads: p.selectsWorkloads },
        `policy-changed:${p.name}`,
      );
    }
  }
  const selecting = policies.filter((x) => x.selectsPods > 0);
  if (selecting.length) {
    findings.add(
      'kubernetes.policies',
      'info',
      `${selecting.length} polic${selecting.length === 1 ? 'y selects' : 'ies select'} the pods: ${selecting.map((p) => p.name).join(', ')}`,
      { policies: selecting.map((p) => p.name) },
    );
  }
}

function findRoutes(routes: RouteInfo[], findings: Findings): void {
  for (const r of routes) {
    const id = `${r.namespace}/${r.name}`;
    const weights = r.rules
      .map((rule) => rule.backends.map((b) => `${b.name} ${b.weight} (${Math.round(b.share * 100)}%)`).join(', '))
      .join(' | ');
    findings.add('kubernetes.route', 'info', `HTTPRoute ${id}: ${weights}`, { route: id }, `route:${id}`);
    const bad = r.conditions.filter((c) => ['Accepted', 'ResolvedRefs'].includes(c.type) && c.status !== 'True');
    if (bad.length) {
      findings.add(
        'kubernetes.route-not-accepted',
        'warning',
        `HTTPRoute ${id}: ${bad.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(', ')}`,
        { route: id },
        `route-bad:${id}`,
      );
    }
    if (!r.statusCurrent && r.conditions.length) {
      findings.add(
        'kubernetes.route-status-stale',
        'info',
        `HTTPRoute ${id}: status not yet written for generation ${r.generation ?? '?'}`,
        { route: id },
        `route-stale:${id}`,
      );
    }
  }
}
