// Security identities as Cilium numbers them: the reserved ones (host 1,
// world 2, ..., kube-apiserver 7), one per distinct label set of the pods
// (numbered by the lab's Hubble stand-in's identityOf, so a flow and a drop
// name the same identity), and one local identity per CIDR a policy names or
// per address an FQDN rule resolves to (from 2^24, as Cilium's local scope).
import { identityOf } from '../hubble/index.ts';
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX, parseLabel, podIdentityLabels, type Label } from './labels.ts';
export { contains, formatPrefix, ipToNumber, parsePrefix, type Prefix } from './prefix.ts';

export const RESERVED = {
  host: 1,
  world: 2,
  unmanaged: 3,
  health: 4,
  init: 5,
  'remote-node': 6,
  'kube-apiserver': 7,
  ingress: 8,
} as const;
export type ReservedName = keyof typeof RESERVED;

/** First local (CIDR) identity, Cilium's IdentityScopeLocal. */
export const LOCAL_IDENTITY_BASE = 1 << 24;

export interface Identity {
  id: number;
  kind: 'pod' | 'reserved' | 'cidr';
  /** The labels a flow shows (the same list the Hubble stand-in gives the same peer). */
  labels: string[];
  /** What selectors match against: the labels plus the namespace's own labels (Cilium's namespace meta labels). */
  match: Label[];
  /** For a CIDR identity: its prefix, and the DNS names (of the given map) that resolve into it. */
  prefix?: string;
  names?: string[];
  reserved?: ReservedName;
}

/** What the compiler needs to know of the cluster. */
export interface ClusterView {
  namespaces?: { name: string; labels?: Record<string, string> }[];
  /** Pods (and other endpoints that have labels, such as a DNS server the lab runs outside pods). */
  pods: { namespace: string; name: string; labels: Record<string, string>; ips: string[] }[];
  /** Node addresses: reserved:host. */
  hostIps?: string[];
  /** The API server's addresses: reserved:kube-apiserver. */
  apiServerIps?: string[];
  /** DNS names the cluster resolves (lower case, no trailing dot) and their addresses: for toFQDNs. */
  dns?: Record<string, string[]>;
}

export function reservedIdentity(name: ReservedName): Identity {
  const labels = [`reserved:${name}`];
  return { id: RESERVED[name], kind: 'reserved', labels, match: labels.map(parseLabel), reserved: name };
}

/** The identity of a pod: its labels and namespace; selectors also see the namespace's labels. */
export function podIdentity(namespace: string, labels: Record<string, string>, nsLabels: Record<string, string> = {}) {
  const list = podIdentityLabels(namespace, labels);
  const meta = Object.entries({ 'kubernetes.io/metadata.name': namespace, ...nsLabels }).map(
    ([k, v]) => `k8s:${NAMESPACE_LABELS_PREFIX}${k}=${v}`,
  );
  return { id: identityOf(list), kind: 'pod' as const, labels: list, match: [...list, ...meta].map(parseLabel) };
}

export const cidrIdentityLabels = (prefix: string) => [`cidr:${prefix}`, 'reserved:world'];

export { NAMESPACE_LABEL };
