// Policies + cluster → what the datapath's maps hold: the ipcache (prefix →
// identity), the endpoints (address → endpoint id, identity, which
// directions are enforced) and the policy entries keyed as Cilium's policy
// map is (endpoint, identity, direction, protocol, port → allow or deny).
import {
  cidrIdentityLabels,
  contains,
  formatPrefix,
  LOCAL_IDENTITY_BASE,
  parsePrefix,
  podIdentity,
  reservedIdentity,
  RESERVED,
  type ClusterView,
  type Identity,
} from './identity.ts';
import { parseLabel, selects } from './labels.ts';
import { fqdnMatches } from './fqdn.ts';
import { normalize, type Direction, type Peer, type PolicyRules, type Rule } from './rules.ts';
import { parsePolicy, PolicyError, type FqdnSelector, type HttpRule } from './schema.ts';

/** Cilium's drop reasons (bpf/lib/common.h). */
export const DROP_POLICY = 133;
export const DROP_POLICY_DENY = 181;
export const DROP_REASON_NAMES: Record<number, string> = { 133: 'POLICY_DENIED', 181: 'POLICY_DENY' };

export interface Endpoint {
  /** Endpoint id, 1.. (the first part of every policy key). */
  id: number;
  namespace: string;
  pod: string;
  ips: string[];
  identity: number;
  enforce: Record<Direction, boolean>;
}

export interface PolicyEntry {
  endpoint: number;
  /** Peer identity; 0 = any peer. */
  identity: number;
  direction: Direction;
  /** 0 = any protocol (then port is 0). */
  protocol: number;
  /** 0 = any port. */
  port: number;
  deny: boolean;
  /** The rules that made this entry (or "allow-localhost"). */
  origins: string[];
  http?: HttpRule[];
}

export interface Compiled {
  identities: Map<number, Identity>;
  ipcache: { prefix: string; identity: number }[];
  endpoints: Endpoint[];
  entries: PolicyEntry[];
  policies: PolicyRules[];
  /** What makes a rule match less than it seems to (for the analyser and the report). */
  warnings: string[];
}

const CLUSTER: Identity['reserved'][] = [
  'host',
  'remote-node',
  'kube-apiserver',
  'health',
  'init',
  'unmanaged',
  'ingress',
];

/** What a rule can select for one endpoint: FQDN peers see only names its DNS rules let it look up. */
function selectsIdentity(peer: Peer, id: Identity, lookups: FqdnSelector[]): boolean {
  switch (peer.kind) {
    case 'selector':
      return selects(peer.selector, id.match);
    case 'entity':
      if (peer.entity === 'all') return true;
      if (peer.entity === 'world') return id.reserved === 'world' || id.kind === 'cidr';
      if (peer.entity === 'cluster') return id.kind === 'pod' || CLUSTER.includes(id.reserved);
      return id.reserved === peer.entity;
    case 'cidr': {
      const outer = parsePrefix(peer.cidr);
      if (outer.len === 0 && id.reserved === 'world') return true;
      if (id.kind !== 'cidr' || !id.prefix) return false;
      const inner = parsePrefix(id.prefix);
      return contains(outer, inner) && !peer.except.some((e) => contains(parsePrefix(e), inner));
    }
    case 'fqdn':
      return (
        id.kind === 'cidr' &&
        (id.names ?? []).some((n) => fqdnMatches(peer.fqdn, n) && lookups.some((d) => fqdnMatches(d, n)))
      );
  }
}

/** Every CIDR the policies name and every address their FQDN rules resolve to (outside the cluster). */
function localPrefixes(policies: PolicyRules[], cluster: ClusterView, known: Set<string>) {
  const prefixes = new Map<string, Set<string>>();
  const add = (cidr: string, name?: string) => {
    const p = formatPrefix(parsePrefix(cidr));
    if (p.endsWith('/32') && known.has(p.slice(0, -3))) return;
    const names = prefixes.get(p) ?? new Set<string>();
    if (name) names.add(name);
    prefixes.set(p, names);
  };
  for (const policy of policies)
    for (const rule of policy.rules) {
      if (rule.peers === 'any') continue;
      for (const peer of rule.peers) {
        if (peer.kind === 'cidr' && parsePrefix(peer.cidr).len > 0) [peer.cidr, ...peer.except].forEach((c) => add(c));
        if (peer.kind === 'fqdn')
          for (const [name, ips] of Object.entries(cluster.dns ?? {}))
            if (fqdnMatches(peer.fqdn, name)) ips.forEach((ip) => add(ip, name));
      }
    }
  return [...prefixes.entries()].sort(([a], [b]) => a.localeCompare(b, 'en'));
}

export const keyOf = (e: Pick<PolicyEntry, 'endpoint' | 'identity' | 'direction' | 'protocol' | 'port'>) =>
  `${e.endpoint}|${e.direction}|${e.identity}|${e.protocol}|${e.port}`;

/** The most specific key both cover, or undefined when they share no packet. */
function intersect(a: PolicyEntry, b: PolicyEntry): Omit<PolicyEntry, 'deny' | 'origins'> | undefined {
  const field = (x: number, y: number) => (x === 0 ? y : y === 0 || x === y ? x : undefined);
  const identity = field(a.identity, b.identity);
  const protocol = field(a.protocol, b.protocol);
  const port = field(a.port, b.port);
  if (identity === undefined || protocol === undefined || port === undefined) return undefined;
  return { endpoint: a.endpoint, direction: a.direction, identity, protocol, port };
}

/**
 * Deny wins: an allow entry that a deny entry also covers becomes a deny
 * where they overlap, at a key the datapath looks up before the allow.
 */
function denyWins(entries: Map<string, PolicyEntry>): void {
  const all = [...entries.values()];
  const denies = all.filter((e) => e.deny);
  for (const allow of all.filter((e) => !e.deny))
    for (const deny of denies) {
      if (allow.endpoint !== deny.endpoint || allow.direction !== deny.direction) continue;
      const key = intersect(allow, deny);
      if (!key) continue;
      const existing = entries.get(keyOf(key));
      if (existing?.deny) continue;
      entries.set(keyOf(key), { ...key, deny: true, origins: deny.origins });
    }
}

export function compile(rawPolicies: unknown[], cluster: ClusterView): Compiled {
  const policies = rawPolicies.flatMap((p) => normalize(parsePolicy(p)));
  const nsLabels = new Map((cluster.namespaces ?? []).map((n) => [n.name, n.labels ?? {}]));
  const identities = new Map<number, Identity>();
  const ipcache = new Map<string, number>();
  for (const name of Object.keys(RESERVED) as (keyof typeof RESERVED)[]) {
    const id = reservedIdentity(name);
    identities.set(id.id, id);
  }
  const endpoints: Endpoint[] = [];
  const pods = [...cluster.pods].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const pod of pods) {
    const id = podIdentity(pod.namespace, pod.labels, nsLabels.get(pod.namespace));
    const taken = identities.get(id.id);
    // identityOf hashes labels into 65,000 numbers: two label sets may meet, and must not share a policy.
    if (taken && taken.labels.join(',') !== id.labels.join(','))
      throw new PolicyError(
        `identity ${id.id} of ${pod.namespace}/${pod.name} (${id.labels.join(',')}) is also that of ${taken.labels.join(',')}`,
      );
    identities.set(id.id, id);
    for (const ip of pod.ips) ipcache.set(`${formatPrefix(parsePrefix(ip))}`, id.id);
    endpoints.push({
      id: endpoints.length + 1,
      namespace: pod.namespace,
      pod: pod.name,
      ips: pod.ips,
      identity: id.id,
      enforce: { ingress: false, egress: false },
    });
  }
  for (const ip of cluster.hostIps ?? []) ipcache.set(`${ip}/32`, RESERVED.host);
  for (const ip of cluster.apiServerIps ?? []) ipcache.set(`${ip}/32`, RESERVED['kube-apiserver']);
  const known = new Set([...ipcache.keys()].map((p) => p.slice(0, -3)));
  localPrefixes(policies, cluster, known).forEach(([prefix, names], i) => {
    const labels = cidrIdentityLabels(prefix);
    const id: Identity = {
      id: LOCAL_IDENTITY_BASE + i,
      kind: 'cidr',
      labels,
      match: labels.map(parseLabel),
      prefix,
      names: [...names],
    };
    identities.set(id.id, id);
    ipcache.set(prefix, id.id);
  });

  const entries = new Map<string, PolicyEntry>();
  const put = (e: PolicyEntry) => {
    const key = keyOf(e);
    const old = entries.get(key);
    if (!old) return void entries.set(key, e);
    const deny = old.deny || e.deny;
    // Two allows: a plain L3/L4 allow on the port lets every request through, so L7 rules go.
    const http = deny || !old.http || !e.http ? undefined : [...old.http, ...e.http];
    const origins = deny && !old.deny ? e.origins : deny && !e.deny ? old.origins : [...old.origins, ...e.origins];
    entries.set(key, { ...old, deny, origins, ...(http ? { http } : { http: undefined }) });
  };
  const warnings = new Set<string>();
  for (const ep of endpoints) {
    const me = identities.get(ep.identity);
    if (!me) continue;
    const mine = policies.filter((policy) => selects(policy.subject, me.match));
    // Cilium learns an FQDN's addresses from the lookups its DNS proxy sees: only names a DNS rule allows.
    const lookups = mine.flatMap((p) => p.rules.flatMap((r) => (r.deny ? [] : (r.dns ?? []))));
    for (const policy of mine) {
      ep.enforce.ingress ||= policy.enforces.ingress;
      ep.enforce.egress ||= policy.enforces.egress;
      for (const rule of policy.rules) {
        entriesOf(rule, ep.id, identities, lookups).forEach(put);
        if (rule.peers !== 'any' && rule.peers.some((p) => p.kind === 'fqdn') && lookups.length === 0)
          warnings.add(
            `${rule.origin}: toFQDNs cannot match for ${ep.namespace}/${ep.pod}: no DNS rule (toPorts rules.dns on ` +
              "port 53) lets Cilium's DNS proxy see its lookups, so it never learns the addresses",
          );
      }
    }
    // Cilium's allow-localhost default: the node itself (kubelet probes) may always reach its pods.
    if (ep.enforce.ingress)
      put({
        endpoint: ep.id,
        identity: RESERVED.host,
        direction: 'ingress',
        protocol: 0,
        port: 0,
        deny: false,
        origins: ['allow-localhost'],
      });
  }
  denyWins(entries);
  for (const e of entries.values()) if (e.http === undefined) delete e.http;
  return {
    identities,
    ipcache: [...ipcache.entries()].map(([prefix, identity]) => ({ prefix, identity })),
    endpoints,
    entries: [...entries.values()],
    policies,
    warnings: [...warnings],
  };
}

function entriesOf(
  rule: Rule,
  endpoint: number,
  identities: Map<number, Identity>,
  lookups: FqdnSelector[],
): PolicyEntry[] {
  const peers =
    rule.peers === 'any'
      ? [0]
      : [...identities.values()]
          .filter((id) => (rule.peers as Peer[]).some((p) => selectsIdentity(p, id, lookups)))
          .map((id) => id.id);
  const ports = rule.ports.length ? rule.ports : [{ protocol: 0, port: 0 }];
  return peers.flatMap((identity) =>
    ports.map((p) => ({
      endpoint,
      identity,
      direction: rule.direction,
      protocol: p.protocol,
      port: p.port,
      deny: rule.deny,
      origins: [rule.origin],
      ...(rule.http ? { http: rule.http } : {}),
    })),
  );
}
