// One read of everything the Kubernetes collector looks at, in parallel.
// Each read that fails is recorded with the permission or object it needed,
// so a partial snapshot still comes back.
import type { CoreV1Event, V1Deployment, V1EndpointSlice, V1Node, V1Pod } from '@kubernetes/client-node';
import { classify, withRetry, type Kube } from './client.ts';

export interface ReadProblem {
  /** e.g. "list networkpolicies.networking.k8s.io in production". */
  what: string;
  kind: 'forbidden' | 'not-found' | 'failed';
  message: string;
}

export interface KubeSnapshot {
  namespaces: string[];
  selector?: string;
  pods: V1Pod[];
  deployments: V1Deployment[];
  slices: V1EndpointSlice[];
  events: CoreV1Event[];
  /** Plain JSON objects (timestamps as strings), with kind set, ready for the policy analyser. */
  policies: unknown[];
  routes: unknown[];
  nodes: V1Node[];
  namespaceLabels: Record<string, Record<string, string>>;
  problems: ReadProblem[];
  /** Duration of each API call, ms: a slow API server is evidence too. */
  latencies: number[];
  /** When the snapshot was taken (ISO). */
  at: string;
}

interface Reader {
  problems: ReadProblem[];
  latencies: number[];
  read<T>(what: string, call: () => Promise<T>): Promise<T | undefined>;
}

function reader(deadline: number): Reader {
  const problems: ReadProblem[] = [];
  const latencies: number[] = [];
  return {
    problems,
    latencies,
    async read(what, call) {
      const started = Date.now();
      try {
        return await withRetry(call, deadline);
      } catch (err) {
        const failure = classify(err);
        const kind = failure.kind === 'forbidden' ? 'forbidden' : failure.kind === 'not-found' ? 'not-found' : 'failed';
        problems.push({ what, kind, message: failure.message });
        return undefined;
      } finally {
        latencies.push(Date.now() - started);
      }
    },
  };
}

/** A plain JSON copy (Dates become ISO strings) with its kind and apiVersion set. */
function plain(object: unknown, kind: string, apiVersion: string): unknown {
  const copy = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
  return { ...copy, kind: copy.kind ?? kind, apiVersion: copy.apiVersion ?? apiVersion };
}

const itemsOf = (list: unknown): unknown[] =>
  list !== null && typeof list === 'object' && Array.isArray((list as { items?: unknown }).items)
    ? (list as { items: unknown[] }).items
    : [];

const CILIUM = { group: 'cilium.io', version: 'v2' };
const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1' };

export async function takeSnapshot(
  kube: Kube,
  namespaces: string[],
  selector: string | undefined,
  deadline: number,
): Promise<KubeSnapshot> {
  const r = reader(deadline);
  const [perNamespace, nodes, policies, labels] = await Promise.all([
    Promise.all(namespaces.map((ns) => readNamespace(kube, r, ns, selector))),
    r.read('list nodes', () => kube.core.listNode({})),
    readPolicies(kube, r),
    namespaceLabelsOf(kube, r, namespaces),
  ]);
  // The labels of the namespaces those policies live in, for their namespace selectors and peers.
  const more = [...new Set(policies.flatMap(namespaceOf))].filter((ns) => !(ns in labels));
  const namespaceLabels = { ...labels, ...(await namespaceLabelsOf(kube, r, more)) };
  return {
    namespaces,
    ...(selector ? { selector } : {}),
    pods: perNamespace.flatMap((n) => n.pods),
    deployments: perNamespace.flatMap((n) => n.deployments),
    slices: perNamespace.flatMap((n) => n.slices),
    events: perNamespace.flatMap((n) => n.events),
    policies,
    routes: perNamespace.flatMap((n) => n.routes),
    nodes: nodes?.items ?? [],
    namespaceLabels,
    problems: r.problems,
    latencies: r.latencies,
    at: new Date().toISOString(),
  };
}

async function readNamespace(kube: Kube, r: Reader, namespace: string, selector: string | undefined) {
  const sel = selector ? { labelSelector: selector } : {};
  const [pods, deployments, slices, events, routes] = await Promise.all([
    r.read(`list pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, ...sel })),
    r.read(`list deployments.apps in ${namespace}`, () => kube.apps.listNamespacedDeployment({ namespace })),
    r.read(`list endpointslices.discovery.k8s.io in ${namespace}`, () =>
      kube.discovery.listNamespacedEndpointSlice({ namespace }),
    ),
    r.read(`list events in ${namespace}`, () =>
      kube.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }),
    ),
    r.read(`list httproutes.gateway.networking.k8s.io in ${namespace}`, () =>
      kube.custom.listNamespacedCustomObject({ ...GATEWAY, namespace, plural: 'httproutes' }),
    ),
  ]);
  return {
    pods: pods?.items ?? [],
    deployments: deployments?.items ?? [],
    slices: slices?.items ?? [],
    events: events?.items ?? [],
    routes: itemsOf(routes).map((o) => plain(o, 'HTTPRoute', 'gateway.networking.k8s.io/v1')),
  };
}

/**
 * Every NetworkPolicy and Cilium policy in the cluster, as plain objects: a flow into another namespace
 * is decided by that namespace's policies too.
 */
async function readPolicies(kube: Kube, r: Reader): Promise<unknown[]> {
  const [netpols, cnps, clusterPolicies] = await Promise.all([
    r.read('list networkpolicies.networking.k8s.io in all namespaces', () =>
      kube.networking.listNetworkPolicyForAllNamespaces({}),
    ),
    r.read('list ciliumnetworkpolicies.cilium.io in all namespaces', () =>
      kube.custom.listCustomObjectForAllNamespaces({ ...CILIUM, resourcePlural: 'ciliumnetworkpolicies' }),
    ),
    r.read('list ciliumclusterwidenetworkpolicies.cilium.io', () =>
      kube.custom.listClusterCustomObject({ ...CILIUM, plural: 'ciliumclusterwidenetworkpolicies' }),
    ),
  ]);
  return [
    ...(netpols?.items ?? []).map((o) => plain(o, 'NetworkPolicy', 'networking.k8s.io/v1')),
    ...itemsOf(cnps).map((o) => plain(o, 'CiliumNetworkPolicy', 'cilium.io/v2')),
    ...itemsOf(clusterPolicies).map((o) => plain(o, 'CiliumClusterwideNetworkPolicy', 'cilium.io/v2')),
  ];
}

/** The policies alone (for nightshift's record of their versions), with what could not be read. */
export async function takePolicies(
  kube: Kube,
  deadline: number,
): Promise<{ policies: unknown[]; problems: ReadProblem[] }> {
  const r = reader(deadline);
  return { policies: await readPolicies(kube, r), problems: r.problems };
}

async function namespaceLabelsOf(
  kube: Kube,
  r: Reader,
  namespaces: string[],
): Promise<Record<string, Record<string, string>>> {
  const read = await Promise.all(
    namespaces.map((ns) => r.read(`get namespace ${ns}`, () => kube.core.readNamespace({ name: ns }))),
  );
  return Object.fromEntries(namespaces.map((ns, i) => [ns, read[i]?.metadata?.labels ?? {}]));
}

function namespaceOf(object: unknown): string[] {
  const meta = (object as { metadata?: { namespace?: unknown } }).metadata;
  return typeof meta?.namespace === 'string' ? [meta.namespace] : [];
}
