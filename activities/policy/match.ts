// Does one rule match a flow? Peers (endpoints, CIDRs, entities, FQDNs),
// ports and protocols, then HTTP. Every "no" says why, in words.
import { inCidr } from './cidr.ts';
import { ciliumLabels, describeSelector, matchSelector, namespaceLabels, NAMESPACE_LABEL } from './selectors.ts';
import type { Endpoint, FlowQuery, HttpRule, PeerMatcher, Policy, PortMatcher, Rule } from './types.ts';

export interface RuleMatch {
  /** L3 and L4 match. */
  l4: boolean;
  /** L7: 'none' (no HTTP rules), 'match', 'mismatch', or 'unknown' (the query has no HTTP request). */
  l7: 'none' | 'match' | 'mismatch' | 'unknown';
  why: string;
  /** Required HTTP requests, in words, when l7 is not 'none'. */
  requires?: string;
}

export function describeEndpoint(e: Endpoint): string {
  if (e.external) return e.fqdn ?? e.ip ?? 'the outside world';
  const labels = Object.entries(e.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${e.namespace ?? '?'}/${labels || '(any pod)'}`;
}

/** Whether a policy selects the endpoint as its subject. */
export function selects(policy: Policy, e: Endpoint): boolean {
  if (e.external) return false;
  if (policy.namespace !== undefined && policy.namespace !== e.namespace) return false;
  return policy.cilium
    ? matchSelector(policy.subject, ciliumLabels(e), true).matches
    : matchSelector(policy.subject, e.labels).matches;
}

function peerMatches(m: PeerMatcher, peer: Endpoint): { ok: boolean; why: string } {
  switch (m.kind) {
    case 'endpoints': {
      const what = `endpoints ${describeSelector(m.selector)}`;
      if (peer.external) return { ok: false, why: `${what}: the peer is outside the cluster` };
      const labels = m.cilium ? ciliumLabels(peer) : peer.labels;
      const selected = matchSelector(m.selector, labels, m.cilium);
      if (m.namespaces !== 'any' && 'only' in m.namespaces && m.namespaces.only !== peer.namespace) {
        const hint = m.cilium
          ? ` (a namespaced Cilium rule only reaches other namespaces when its selector names k8s:${NAMESPACE_LABEL})`
          : ' (add a namespaceSelector to reach other namespaces)';
        const also = selected.matches || m.cilium ? '' : ', and the labels differ too';
        return {
          ok: false,
          why: `${what} only in namespace ${m.namespaces.only}; the peer is in ${peer.namespace ?? '?'}${hint}${also}`,
        };
      }
      if (
        m.namespaces !== 'any' &&
        'selector' in m.namespaces &&
        !matchSelector(m.namespaces.selector, namespaceLabels(peer)).matches
      ) {
        return {
          ok: false,
          why: `${what} in namespaces ${describeSelector(m.namespaces.selector)}; namespace ${peer.namespace ?? '?'} does not match`,
        };
      }
      return selected.matches
        ? { ok: true, why: `${what} match the peer` }
        : { ok: false, why: `${what}: the peer's labels do not match` };
    }
    case 'cidr': {
      if (!peer.ip)
        return { ok: false, why: `CIDR ${m.cidr}: the peer has no IP address in the question (give --to <ip>)` };
      if (!inCidr(peer.ip, m.cidr)) return { ok: false, why: `CIDR ${m.cidr} does not contain ${peer.ip}` };
      const except = m.except.find((c) => inCidr(peer.ip as string, c));
      return except
        ? { ok: false, why: `CIDR ${m.cidr} excepts ${except}, which contains ${peer.ip}` }
        : { ok: true, why: `CIDR ${m.cidr} contains ${peer.ip}` };
    }
    case 'entity': {
      const ok =
        m.entity === 'all' || (m.entity === 'world' && peer.external) || (m.entity === 'cluster' && !peer.external);
      return { ok, why: `entity ${m.entity} ${ok ? 'includes' : 'does not include'} the peer` };
    }
    case 'fqdn': {
      const name = m.matchName ?? m.matchPattern ?? '';
      if (!peer.fqdn) return { ok: false, why: `FQDN ${name}: the peer has no name in the question (give --fqdn)` };
      const ok =
        m.matchName !== undefined
          ? sameName(m.matchName, peer.fqdn)
          : fqdnPattern(m.matchPattern ?? '').test(trimDot(peer.fqdn));
      return {
        ok,
        why: `FQDN ${m.matchName ? `name ${m.matchName}` : `pattern ${m.matchPattern}`} ${ok ? 'matches' : 'does not match'} ${peer.fqdn}`,
      };
    }
  }
}

const trimDot = (name: string) => name.toLowerCase().replace(/\.$/, '');
const sameName = (a: string, b: string) => trimDot(a) === trimDot(b);

/** Cilium's matchPattern: "*" alone matches every name; elsewhere "*" is any DNS characters within one label. */
export function fqdnPattern(pattern: string): RegExp {
  const p = trimDot(pattern);
  if (p === '*') return /^.+$/;
  const body = p
    .split('')
    .map((c) => (c === '*' ? '[-a-z0-9_]*' : c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function portMatches(m: PortMatcher, flow: FlowQuery): { ok: boolean; why: string } {
  const proto = m.protocol === 'ANY' || flow.protocol === 'ANY' || m.protocol === flow.protocol;
  const what = `${m.protocol}/${m.port ?? 'any'}${m.endPort ? `-${m.endPort}` : ''}`;
  if (!proto) return { ok: false, why: `port ${what}: protocol ${flow.protocol} differs` };
  if (m.port === undefined) return { ok: true, why: `port ${what} allows every port` };
  if (typeof m.port === 'string') return { ok: false, why: `port ${what} is a named port the analyser cannot resolve` };
  const ok = m.endPort ? flow.port >= m.port && flow.port <= m.endPort : flow.port === m.port;
  return { ok, why: `port ${what} ${ok ? 'includes' : 'does not include'} ${flow.port}` };
}

/** Go regexps are fully anchored by Cilium; JS syntax agrees for the patterns policies use. */
const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`);

export function describeHttp(rules: HttpRule[]): string {
  return rules
    .map((r) => `${r.method ?? 'any method'} ${r.path ?? 'any path'}${r.host ? ` host ${r.host}` : ''}`)
    .join(' or ');
}

function httpMatches(rules: HttpRule[], flow: FlowQuery): RuleMatch['l7'] {
  const q = flow.http;
  if (!q || (q.method === undefined && q.path === undefined)) return 'unknown';
  const fits = (r: HttpRule) =>
    (r.method === undefined || (q.method !== undefined && anchored(r.method).test(q.method))) &&
    (r.path === undefined || (q.path !== undefined && anchored(r.path).test(q.path))) &&
    (r.host === undefined || q.host === undefined || anchored(r.host).test(q.host));
  return rules.some(fits) ? 'match' : 'mismatch';
}

/** Match a rule against a flow, from the point of view of the rule's direction. */
export function matchRule(rule: Rule, flow: FlowQuery): RuleMatch {
  const peer = rule.direction === 'ingress' ? flow.from : flow.to;
  let peerWhy = 'any peer';
  if (rule.peers !== undefined) {
    if (rule.peers.length === 0)
      return { l4: false, l7: 'none', why: 'the rule names no peer and no port (it allows nothing)' };
    const results = rule.peers.map((m) => peerMatches(m, peer));
    const hit = results.find((r) => r.ok);
    if (!hit) return { l4: false, l7: 'none', why: results.map((r) => r.why).join('; ') };
    peerWhy = hit.why;
  }
  if (rule.ports === undefined) return { l4: true, l7: 'none', why: `${peerWhy}, any port` };
  const ports = rule.ports.map((m) => ({ m, r: portMatches(m, flow) }));
  const hits = ports.filter((p) => p.r.ok);
  if (hits.length === 0)
    return { l4: false, l7: 'none', why: `${peerWhy}, but ${ports.map((p) => p.r.why).join('; ')}` };
  const plain = hits.find((p) => !p.m.http?.length);
  if (plain) return { l4: true, l7: 'none', why: `${peerWhy}, ${plain.r.why}` };
  const http = hits.flatMap((p) => p.m.http ?? []);
  const requires = describeHttp(http);
  const l7 = httpMatches(http, flow);
  return {
    l4: true,
    l7,
    requires,
    why: `${peerWhy}, ${hits[0]?.r.why ?? ''}, HTTP ${l7 === 'mismatch' ? 'request does not match' : 'limited to'} ${requires}`,
  };
}
