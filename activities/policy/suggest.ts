// A corrected rule for a denied flow, when a small change would allow it:
// an endpoint selector scoped to the policy's own namespace that names the
// peer's labels (add the peer's namespace), or an endpoint isolated for
// egress with no rule allowing cluster DNS (add one). Every candidate is
// checked with the analyser on the patched policy; only one that turns the
// flow's direction to allowed is offered.
import { stringify } from 'yaml';
import { policyObjects } from './documents.ts';
import { CLUSTER_DNS, explainDirection, policyName } from './explain.ts';
import { toPolicies } from './load.ts';
import { selects } from './match.ts';
import { NAMESPACE_LABEL } from './selectors.ts';
import type { Direction, Endpoint, FlowQuery, Policy } from './types.ts';

export interface Suggestion {
  /** "CiliumNetworkPolicy finance/secure-payment-gateway". */
  policy: string;
  /** Where in the object: "spec.ingress[0]", or the list a new rule is added to ("spec.egress[+]"). */
  path: string;
  /** What the change does, in words. */
  change: string;
  /** The corrected (or added) rule. */
  rule: unknown;
  /** The rule as one line of flow-style YAML. */
  yaml: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** "specs[1].egress[0]" → ['specs', 1, 'egress', 0]. */
function steps(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [part];
    const indices = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [m[1] as string, ...indices];
  });
}

function at(root: unknown, path: (string | number)[]): unknown {
  let here: unknown = root;
  for (const step of path) {
    if (typeof step === 'number') here = Array.isArray(here) ? here[step] : undefined;
    else here = isObject(here) ? here[step] : undefined;
  }
  return here;
}

function put(root: unknown, path: (string | number)[], value: unknown): void {
  const parent = at(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = value;
  else if (isObject(parent) && typeof last === 'string') parent[last] = value;
}

const oneLine = (rule: unknown) => stringify(rule, { collectionStyle: 'flow', lineWidth: 0 }).trim();

/** Whether the patched object allows the flow in this direction (with the other policies as they are). */
function allows(object: Json, direction: Direction, flow: FlowQuery, others: Policy[]): boolean {
  const patched = toPolicies(policyObjects([object]).objects).policies;
  return explainDirection(direction, flow, [...others, ...patched]).verdict !== 'denied';
}

/** Endpoint selectors of a rule, with the peer's namespace added to each in turn. */
function scopedCandidates(rule: Json, direction: Direction, cilium: boolean, peerNamespace: string): [Json, string][] {
  const out: [Json, string][] = [];
  if (cilium) {
    const field = direction === 'ingress' ? 'fromEndpoints' : 'toEndpoints';
    const selectors = Array.isArray(rule[field]) ? (rule[field] as unknown[]) : [];
    selectors.forEach((selector, i) => {
      if (!isObject(selector)) return;
      const labels = isObject(selector.matchLabels) ? selector.matchLabels : {};
      if (Object.keys(labels).some((k) => k.endsWith(NAMESPACE_LABEL))) return;
      const fixed = clone(rule);
      (fixed[field] as unknown[])[i] = {
        ...selector,
        matchLabels: { ...labels, [`k8s:${NAMESPACE_LABEL}`]: peerNamespace },
      };
      out.push([fixed, `${field}[${i}] names namespace ${peerNamespace} (k8s:${NAMESPACE_LABEL})`]);
    });
  } else {
    const field = direction === 'ingress' ? 'from' : 'to';
    const peers = Array.isArray(rule[field]) ? (rule[field] as unknown[]) : [];
    peers.forEach((peer, i) => {
      if (!isObject(peer) || !isObject(peer.podSelector) || peer.namespaceSelector !== undefined) return;
      const fixed = clone(rule);
      (fixed[field] as unknown[])[i] = {
        ...peer,
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peerNamespace } },
      };
      out.push([fixed, `${field}[${i}] reaches namespace ${peerNamespace} (namespaceSelector)`]);
    });
  }
  return out;
}

/** The rule that lets an endpoint resolve names through cluster DNS. */
function dnsRule(cilium: boolean): Json {
  return cilium
    ? {
        toEndpoints: [{ matchLabels: { [`k8s:${NAMESPACE_LABEL}`]: 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
      }
    : {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      };
}

/** The policy object (raw) behind a model policy. */
function objectOf(objects: unknown[], policy: Policy): Json | undefined {
  return objects.filter(isObject).find((o) => {
    const meta = isObject(o.metadata) ? o.metadata : {};
    return (
      o.kind === policy.ref.kind &&
      meta.name === policy.ref.name &&
      (policy.ref.namespace === undefined || meta.namespace === policy.ref.namespace)
    );
  });
}

/**
 * A corrected rule for a flow denied in `direction` by default deny: a rule of a policy selecting the
 * subject whose endpoint selector, given the peer's namespace, would allow it. Undefined when none would.
 */
export function suggestScoped(
  direction: Direction,
  flow: FlowQuery,
  policies: Policy[],
  objects: unknown[],
): Suggestion | undefined {
  const subject = direction === 'ingress' ? flow.to : flow.from;
  const peer = direction === 'ingress' ? flow.from : flow.to;
  if (!peer.namespace || peer.external) return undefined;
  for (const policy of policies.filter((p) => selects(p, subject))) {
    const object = objectOf(objects, policy);
    if (!object) continue;
    const others = policies.filter((p) => p !== policy && policyName(p.ref) !== policyName(policy.ref));
    for (const rule of policy.rules.filter((r) => r.direction === direction && !r.deny)) {
      const path = steps(rule.path);
      const raw = at(object, path);
      if (!isObject(raw)) continue;
      for (const [fixed, change] of scopedCandidates(raw, direction, policy.cilium, peer.namespace)) {
        const patched = clone(object);
        put(patched, path, fixed);
        if (allows(patched, direction, flow, others))
          return { policy: policyName(policy.ref), path: rule.path, change, rule: fixed, yaml: oneLine(fixed) };
      }
    }
  }
  return undefined;
}

/** A rule allowing cluster DNS, when `from` is isolated for egress and its lookups are denied. */
export function suggestDns(from: Endpoint, policies: Policy[], objects: unknown[]): Suggestion | undefined {
  const lookup: FlowQuery = { from, to: CLUSTER_DNS, port: 53, protocol: 'UDP' };
  if (explainDirection('egress', lookup, policies).verdict !== 'denied') return undefined;
  const isolating = policies.find((p) => p.isolates.egress && selects(p, from));
  if (!isolating) return undefined;
  const object = objectOf(objects, isolating);
  if (!object) return undefined;
  const rule = dnsRule(isolating.cilium);
  const patched = clone(object);
  // A Cilium policy with `specs` gets the rule in its first spec that has egress rules.
  const specPath =
    isolating.rules.find((r) => r.direction === 'egress')?.path.replace(/\.egress\[\d+\]$/, '') ?? 'spec';
  const spec = at(patched, steps(specPath));
  if (!isObject(spec)) return undefined;
  spec.egress = [...(Array.isArray(spec.egress) ? spec.egress : []), rule];
  const others = policies.filter((p) => policyName(p.ref) !== policyName(isolating.ref));
  if (!allows(patched, 'egress', lookup, others)) return undefined;
  return {
    policy: policyName(isolating.ref),
    path: `${specPath}.egress[+]`,
    change: 'add an egress rule allowing DNS to kube-system/kube-dns on port 53',
    rule,
    yaml: oneLine(rule),
  };
}
