// Label selectors: Kubernetes semantics (matchLabels AND matchExpressions),
// and Cilium's label keys, which may carry a source prefix ("k8s:app",
// "any:app") and name the pod's namespace as "io.kubernetes.pod.namespace".
import type { Endpoint, LabelSelector } from './types.ts';

/** Cilium's label for the pod's namespace, implied on every namespaced rule. */
export const NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** Cilium exposes namespace labels to selectors under this prefix. */
const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';
/** Sources whose labels are the pod's Kubernetes labels. */
const POD_SOURCES = ['k8s', 'any'];

export interface KeyProblem {
  key: string;
  note: string;
}

/** A Cilium selector key without its source, or a problem when the source is not a pod's. */
export function ciliumKey(key: string): { key: string } | KeyProblem {
  const colon = key.indexOf(':');
  if (colon < 0) return { key };
  const source = key.slice(0, colon);
  if (POD_SOURCES.includes(source)) return { key: key.slice(colon + 1) };
  return { key, note: `label source "${source}:" is not a pod label; the analyser cannot evaluate it` };
}

/** Whether a selector names the namespace (so a namespaced Cilium rule may reach across namespaces). */
export function mentionsNamespace(selector: LabelSelector): boolean {
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)];
  return keys.some((k) => {
    const parsed = ciliumKey(k);
    return !('note' in parsed) && parsed.key === NAMESPACE_LABEL;
  });
}

/** The labels a Cilium selector sees on an endpoint: its pod labels plus namespace-derived ones. */
export function ciliumLabels(endpoint: Endpoint): Record<string, string> {
  const labels: Record<string, string> = { ...endpoint.labels };
  if (endpoint.namespace !== undefined) labels[NAMESPACE_LABEL] = endpoint.namespace;
  for (const [key, value] of Object.entries(namespaceLabels(endpoint)))
    labels[`${NAMESPACE_LABELS_PREFIX}${key}`] = value;
  return labels;
}

/** A namespace's labels; Kubernetes always sets kubernetes.io/metadata.name. */
export function namespaceLabels(endpoint: Endpoint): Record<string, string> {
  if (endpoint.namespace === undefined) return endpoint.namespaceLabels ?? {};
  return { 'kubernetes.io/metadata.name': endpoint.namespace, ...endpoint.namespaceLabels };
}

export interface SelectorMatch {
  matches: boolean;
  problems: KeyProblem[];
}

const OPERATORS: Record<string, (value: string | undefined, values: string[]) => boolean> = {
  In: (v, values) => v !== undefined && values.includes(v),
  NotIn: (v, values) => v === undefined || !values.includes(v),
  Exists: (v) => v !== undefined,
  DoesNotExist: (v) => v === undefined,
};

/**
 * Whether `labels` satisfy `selector`. With `cilium`, keys lose their source
 * prefix first. An empty selector matches everything.
 */
export function matchSelector(selector: LabelSelector, labels: Record<string, string>, cilium = false): SelectorMatch {
  const problems: KeyProblem[] = [];
  const keyOf = (raw: string): string | undefined => {
    if (!cilium) return raw;
    const parsed = ciliumKey(raw);
    if ('note' in parsed) {
      problems.push(parsed);
      return undefined;
    }
    return parsed.key;
  };
  let matches = true;
  for (const [raw, value] of Object.entries(selector.matchLabels ?? {})) {
    const key = keyOf(raw);
    if (key === undefined || labels[key] !== value) matches = false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const key = keyOf(expr.key);
    const test = OPERATORS[expr.operator];
    if (!test) {
      problems.push({ key: expr.key, note: `unknown selector operator "${expr.operator}"` });
      matches = false;
    } else if (key === undefined || !test(labels[key], expr.values ?? [])) {
      matches = false;
    }
  }
  return { matches, problems };
}

export function describeSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '(none)';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(
      (e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`,
    ),
  ];
  return parts.length ? `{${parts.join(', ')}}` : '{} (everything)';
}
