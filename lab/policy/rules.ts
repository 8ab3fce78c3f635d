// From a parsed policy to the lab's normal form: which endpoints it selects,
// in which directions it turns default-deny on, and a flat list of rules,
// each one peer set x port set, allow or deny. Namespace scoping happens
// here, as Cilium's parser does it when it reads the resource.
import { NAMESPACE_LABEL, NAMESPACE_LABELS_PREFIX, scopeToNamespace, type Selector } from './labels.ts';
import type {
  CiliumEgressRule,
  CiliumIngressRule,
  CiliumSpec,
  Entity,
  FqdnSelector,
  HttpRule,
  K8sPeer,
  Policy,
  PortRule,
} from './schema.ts';
import { PolicyError } from './schema.ts';

export type Direction = 'ingress' | 'egress';

export type Peer =
  | { kind: 'selector'; selector: Selector }
  | { kind: 'entity'; entity: Entity }
  | { kind: 'cidr'; cidr: string; except: string[] }
  | { kind: 'fqdn'; fqdn: FqdnSelector };

export interface PortSpec {
  /** 6 TCP, 17 UDP, 132 SCTP. */
  protocol: number;
  /** 0 = every port of the protocol. */
  port: number;
}

export interface Rule {
  /** Where the rule comes from: `CiliumNetworkPolicy finance/secure-payment-gateway ingress[0]`. */
  origin: string;
  direction: Direction;
  deny: boolean;
  /** 'any': the rule has ports but no L3 part, so it holds for every peer. */
  peers: Peer[] | 'any';
  /** Empty: every protocol and port. */
  ports: PortSpec[];
  /** L7 rules on these ports (the datapath passes them to a proxy; see docs/policy-enforcement.md). */
  http?: HttpRule[];
  /** DNS rules on these ports: the names Cilium's DNS proxy lets the endpoint look up (and so learns for toFQDNs). */
  dns?: FqdnSelector[];
}

export interface PolicyRules {
  name: string;
  /** Selects the endpoints the policy applies to (already scoped to its namespace). */
  subject: Selector;
  enforces: Record<Direction, boolean>;
  rules: Rule[];
}

const PROTOCOLS = { TCP: [6], UDP: [17], SCTP: [132], ANY: [6, 17, 132] } as const;

function ports(toPorts: PortRule[] | undefined): { ports: PortSpec[]; http?: HttpRule[]; dns?: FqdnSelector[] } {
  const out: PortSpec[] = [];
  const http: HttpRule[] = [];
  const dns: FqdnSelector[] = [];
  for (const rule of toPorts ?? []) {
    for (const p of rule.ports ?? [{}])
      for (const protocol of PROTOCOLS[p.protocol ?? 'ANY']) out.push({ protocol, port: p.port ?? 0 });
    http.push(...(rule.rules?.http ?? []));
    dns.push(...(rule.rules?.dns ?? []));
  }
  // A port 0 of every protocol is no port restriction at all.
  const every = out.length > 0 && [6, 17, 132].every((pr) => out.some((p) => p.protocol === pr && p.port === 0));
  return { ports: every ? [] : out, ...(http.length ? { http } : {}), ...(dns.length ? { dns } : {}) };
}

function ciliumPeers(rule: CiliumIngressRule & CiliumEgressRule, namespace: string | undefined): Peer[] | 'any' {
  const endpoints = rule.fromEndpoints ?? rule.toEndpoints;
  const cidrs = [...(rule.fromCIDR ?? []), ...(rule.toCIDR ?? [])].map((cidr) => ({ cidr, except: [] as string[] }));
  const sets = [...(rule.fromCIDRSet ?? []), ...(rule.toCIDRSet ?? [])];
  const entities = rule.fromEntities ?? rule.toEntities;
  const l3 = [endpoints, rule.fromCIDR, rule.toCIDR, rule.fromCIDRSet, rule.toCIDRSet, entities, rule.toFQDNs];
  if (l3.every((x) => x === undefined) && rule.toPorts !== undefined) return 'any';
  return [
    ...(endpoints ?? []).map((s): Peer => ({
      kind: 'selector',
      selector: namespace === undefined ? clusterwide(s) : scopeToNamespace(s, namespace),
    })),
    ...[...cidrs, ...sets].map((c): Peer => ({ kind: 'cidr', cidr: c.cidr, except: c.except ?? [] })),
    ...(entities ?? []).map((entity): Peer => ({ kind: 'entity', entity })),
    ...(rule.toFQDNs ?? []).map((fqdn): Peer => ({ kind: 'fqdn', fqdn })),
  ];
}

/** A clusterwide policy's peer selector that names no namespace selects pods only (any namespace). */
function clusterwide(s: Selector): Selector {
  const named = [...Object.keys(s.matchLabels ?? {}), ...(s.matchExpressions ?? []).map((e) => e.key)].some(
    (k) => k.endsWith(NAMESPACE_LABEL) || k.startsWith('reserved:'),
  );
  if (named) return s;
  return {
    ...s,
    matchExpressions: [...(s.matchExpressions ?? []), { key: `k8s:${NAMESPACE_LABEL}`, operator: 'Exists' }],
  };
}

function cilium(policy: Extract<Policy, { kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy' }>) {
  const namespace = policy.kind === 'CiliumNetworkPolicy' ? (policy.metadata.namespace ?? 'default') : undefined;
  const name = `${policy.kind} ${namespace ? `${namespace}/` : ''}${policy.metadata.name}`;
  const specs: CiliumSpec[] = [...(policy.spec ? [policy.spec] : []), ...(policy.specs ?? [])];
  if (specs.length === 0) throw new PolicyError(`${name}: neither spec nor specs`);
  return specs.map((spec, i): PolicyRules => {
    const where = policy.specs && policy.spec === undefined ? `${name} specs[${i}]` : name;
    const subject: Selector =
      namespace === undefined
        ? spec.endpointSelector
        : {
            ...spec.endpointSelector,
            matchLabels: { ...spec.endpointSelector.matchLabels, [`k8s:${NAMESPACE_LABEL}`]: namespace },
          };
    const rules: Rule[] = [];
    const add = (direction: Direction, deny: boolean, list: (CiliumIngressRule & CiliumEgressRule)[] | undefined) =>
      (list ?? []).forEach((rule, j) => {
        const field = `${direction}${deny ? 'Deny' : ''}`;
        const { ports: portSpecs, http, dns } = ports(rule.toPorts);
        if (deny && (http || dns))
          throw new PolicyError(`${where}: ${field}[${j}]: L7 rules cannot deny (Cilium refuses them)`);
        rules.push({
          origin: `${where} ${field}[${j}]`,
          direction,
          deny,
          peers: ciliumPeers(rule, namespace),
          ports: portSpecs,
          ...(http ? { http } : {}),
          ...(dns && direction === 'egress' ? { dns } : {}),
        });
      });
    add('ingress', false, spec.ingress);
    add('ingress', true, spec.ingressDeny);
    add('egress', false, spec.egress);
    add('egress', true, spec.egressDeny);
    const on = (d: Direction, list: unknown[] | undefined, deny: unknown[] | undefined) =>
      (spec.enableDefaultDeny?.[d] ?? true) && (list?.length ?? 0) + (deny?.length ?? 0) > 0;
    return {
      name: where,
      subject,
      enforces: {
        ingress: on('ingress', spec.ingress, spec.ingressDeny),
        egress: on('egress', spec.egress, spec.egressDeny),
      },
      rules,
    };
  });
}

/** A NetworkPolicy peer: podSelector (this namespace), namespaceSelector (+ podSelector), or ipBlock. */
function k8sPeer(peer: K8sPeer, namespace: string): Peer {
  if (peer.ipBlock) return { kind: 'cidr', cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] };
  const pods = peer.podSelector ?? {};
  if (!peer.namespaceSelector) return { kind: 'selector', selector: scopeToNamespace(pods, namespace) };
  const ns = peer.namespaceSelector;
  const prefix = `k8s:${NAMESPACE_LABELS_PREFIX}`;
  return {
    kind: 'selector',
    selector: {
      matchLabels: {
        ...pods.matchLabels,
        ...Object.fromEntries(Object.entries(ns.matchLabels ?? {}).map(([k, v]) => [prefix + k, v])),
      },
      matchExpressions: [
        ...(pods.matchExpressions ?? []),
        ...(ns.matchExpressions ?? []).map((e) => ({ ...e, key: prefix + e.key })),
        { key: `k8s:${NAMESPACE_LABEL}`, operator: 'Exists' as const },
      ],
    },
  };
}

function kubernetes(policy: Extract<Policy, { kind: 'NetworkPolicy' }>): PolicyRules[] {
  const namespace = policy.metadata.namespace ?? 'default';
  const name = `NetworkPolicy ${namespace}/${policy.metadata.name}`;
  const spec = policy.spec;
  const types = spec.policyTypes ?? ['Ingress', ...(spec.egress ? ['Egress' as const] : [])];
  const rules: Rule[] = [];
  const add = (direction: Direction, list: { peers?: K8sPeer[]; ports?: { protocol?: string; port?: number }[] }[]) =>
    list.forEach((rule, j) => {
      const portSpecs = (rule.ports ?? []).map((p) => ({
        protocol: p.protocol === 'UDP' ? 17 : p.protocol === 'SCTP' ? 132 : 6,
        port: p.port ?? 0,
      }));
      rules.push({
        origin: `${name} ${direction}[${j}]`,
        direction,
        deny: false,
        // No peers in a NetworkPolicy rule means every peer, pods and outside alike.
        peers: rule.peers?.length ? rule.peers.map((p) => k8sPeer(p, namespace)) : [{ kind: 'entity', entity: 'all' }],
        ports: portSpecs,
      });
    });
  if (types.includes('Ingress'))
    add(
      'ingress',
      (spec.ingress ?? []).map((r) => ({ ...r, peers: r.from })),
    );
  if (types.includes('Egress'))
    add(
      'egress',
      (spec.egress ?? []).map((r) => ({ ...r, peers: r.to })),
    );
  return [
    {
      name,
      subject: scopeToNamespace(spec.podSelector, namespace),
      enforces: { ingress: types.includes('Ingress'), egress: types.includes('Egress') },
      rules,
    },
  ];
}

/** The normal form of one parsed policy (a CiliumNetworkPolicy with `specs` gives several). */
export function normalize(policy: Policy): PolicyRules[] {
  return policy.kind === 'NetworkPolicy' ? kubernetes(policy) : cilium(policy);
}
