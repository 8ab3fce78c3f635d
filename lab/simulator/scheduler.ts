// The lab has no kube-scheduler: the simulator binds pending pods itself.
// It honours nodeSelector, required node affinity (how a DaemonSet names the
// node of each of its pods), cordoned nodes and NoSchedule taints, and spreads
// a workload's replicas over the nodes (fewest replicas of the same owner,
// then fewest pods), so some calls between services cross nodes.
import type { V1Node, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';

function owner(pod: V1Pod): string {
  const ref = pod.metadata?.ownerReferences?.[0];
  return ref
    ? `${ref.kind}/${ref.uid}`
    : `${pod.metadata?.namespace}/${pod.metadata?.labels?.app ?? pod.metadata?.name}`;
}

function tolerates(pod: V1Pod, node: V1Node): boolean {
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  return taints.every((taint) =>
    (pod.spec?.tolerations ?? []).some(
      (tol) =>
        (tol.key === undefined || tol.key === taint.key) &&
        (tol.operator === 'Exists' || tol.value === taint.value) &&
        (tol.effect === undefined || tol.effect === taint.effect),
    ),
  );
}

function selects(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(pod.spec?.nodeSelector ?? {}).every(([key, value]) => labels[key] === value);
}

function meets(values: Record<string, string>, r: V1NodeSelectorRequirement): boolean {
  const value = values[r.key];
  const given = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && given.includes(value);
    case 'NotIn':
      return value === undefined || !given.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [bound] = given.map(Number);
      const n = Number(value);
      if (value === undefined || bound === undefined || !Number.isInteger(n)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** A term with neither expressions nor fields matches no node, as in Kubernetes. */
function termMatches(term: V1NodeSelectorTerm, node: V1Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return expressions.every((r) => meets(labels, r)) && fields.every((r) => meets(nodeFields, r));
}

/** requiredDuringSchedulingIgnoredDuringExecution: any one of its terms must match. */
function affinityAllows(pod: V1Pod, node: V1Node): boolean {
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || required.nodeSelectorTerms.some((term) => termMatches(term, node));
}

export function feasible(pod: V1Pod, node: V1Node): boolean {
  return !node.spec?.unschedulable && selects(pod, node) && affinityAllows(pod, node) && tolerates(pod, node);
}

/**
 * The node for `pod`, or an explanation when none fits. `placed` maps node
 * name to the pods bound (or being bound) there.
 */
export function chooseNode(
  pod: V1Pod,
  nodes: readonly V1Node[],
  placed: ReadonlyMap<string, readonly V1Pod[]>,
): { node: string } | { reason: string } {
  const candidates = nodes.filter((node) => feasible(pod, node));
  if (candidates.length === 0) {
    return {
      reason: `0/${nodes.length} nodes are available (cordoned, tainted or not matching nodeSelector or node affinity)`,
    };
  }
  const mine = owner(pod);
  const score = (node: V1Node) => {
    const here = placed.get(node.metadata?.name ?? '') ?? [];
    return [here.filter((p) => owner(p) === mine).length, here.length];
  };
  const best = candidates
    .map((node) => ({ name: node.metadata?.name ?? '', score: score(node) }))
    .sort(
      (a, b) =>
        (a.score[0] ?? 0) - (b.score[0] ?? 0) || (a.score[1] ?? 0) - (b.score[1] ?? 0) || a.name.localeCompare(b.name),
    )[0];
  return best ? { node: best.name } : { reason: 'no node' };
}

/**
 * The API server taints every new Node `not-ready` until the node lifecycle
 * controller sees it Ready. The simulator posts every lab node Ready, so such
 * a taint is a moment of start-up: binding then would crowd every pod onto
 * whichever node was cleared first. A pod first seen at `seenAt` waits while
 * any lab node carries one, for `SETTLE_MS` at most.
 */
const LIFECYCLE_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
export const SETTLE_MS = 30_000;
export const SETTLE_POLL_MS = 250;

export function waitForNodesToSettle(nodes: readonly V1Node[], seenAt: number, now: number): boolean {
  const settling = nodes.some((node) => (node.spec?.taints ?? []).some((t) => LIFECYCLE_TAINTS.has(t.key)));
  return settling && now - seenAt < SETTLE_MS;
}
