// Labels and label selectors as Cilium reads them. A label is
// `source:key=value` (`k8s:app=cart`, `reserved:host=`, `cidr:10.0.0.0/8=`);
// a selector key may name its source (`k8s:app`) or not (`app`, which Cilium
// reads as source `any` and matches a label of any source).
import { z } from 'zod';

/** The namespace label Cilium puts on every pod's identity. */
export const NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** Prefix of the namespace's own labels on a pod's identity (Cilium's namespace meta labels). */
export const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

export const selectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type Selector = z.infer<typeof selectorSchema>;

export interface Label {
  source: string;
  key: string;
  value: string;
}

/** `k8s:app=cart` → {source k8s, key app, value cart}; a label without a source is `any`. */
export function parseLabel(text: string): Label {
  const eq = text.indexOf('=');
  const [head, value] = eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
  const { source, key } = parseKey(head);
  return { source, key, value };
}

/** A selector key: `k8s:app` → {k8s, app}; `app` → {any, app}. */
export function parseKey(text: string): { source: string; key: string } {
  const colon = text.indexOf(':');
  // A key such as `kubernetes.io/metadata.name` has no colon; `reserved:host` and `k8s:app` do.
  return colon < 0 ? { source: 'any', key: text } : { source: text.slice(0, colon), key: text.slice(colon + 1) };
}

/** The value of the label a selector key names, or undefined when the set has none. */
function valueOf(labels: readonly Label[], selectorKey: string): string | undefined {
  const { source, key } = parseKey(selectorKey);
  return labels.find((l) => l.key === key && (source === 'any' || l.source === source))?.value;
}

/** Whether the labels satisfy every matchLabels pair and every matchExpression (an empty selector matches all). */
export function selects(selector: Selector, labels: readonly Label[]): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (valueOf(labels, key) !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = valueOf(labels, e.key);
    const values = e.values ?? [];
    const ok =
      e.operator === 'Exists'
        ? value !== undefined
        : e.operator === 'DoesNotExist'
          ? value === undefined
          : e.operator === 'In'
            ? value !== undefined && values.includes(value)
            : value === undefined || !values.includes(value);
    if (!ok) return false;
  }
  return true;
}

/** The keys a selector names, in matchLabels and matchExpressions. */
export function selectorKeys(selector: Selector): string[] {
  return [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)];
}

/**
 * A peer selector of a namespaced policy, scoped as Cilium scopes it: unless
 * it names the pod namespace label (with or without `k8s:`), a namespace meta
 * label, or a reserved label, it only selects pods in the policy's namespace.
 */
export function scopeToNamespace(selector: Selector, namespace: string): Selector {
  const keys = selectorKeys(selector).map(parseKey);
  const named = keys.some(
    (k) =>
      k.source === 'reserved' ||
      (k.key === NAMESPACE_LABEL && (k.source === 'k8s' || k.source === 'any')) ||
      k.key.startsWith(NAMESPACE_LABELS_PREFIX),
  );
  if (named) return selector;
  return { ...selector, matchLabels: { ...selector.matchLabels, [`k8s:${NAMESPACE_LABEL}`]: namespace } };
}

/** Pod labels as Cilium (and the lab's Hubble stand-in) put them on an identity: k8s: labels + namespace, sorted. */
export function podIdentityLabels(namespace: string, labels: Record<string, string>): string[] {
  return [...Object.entries(labels).map(([k, v]) => `k8s:${k}=${v}`), `k8s:${NAMESPACE_LABEL}=${namespace}`].sort();
}
