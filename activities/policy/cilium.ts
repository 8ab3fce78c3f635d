// cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy into the
// analyser's model. Cilium semantics that differ from Kubernetes:
// - in a namespaced policy every endpoint selector (the subject and every
//   fromEndpoints/toEndpoints entry) is limited to the policy's namespace
//   unless it names `k8s:io.kubernetes.pod.namespace` itself;
// - a rule with no L3 peer but with toPorts applies to every peer; a rule with
//   neither (`{}`) allows nothing but still turns on default deny;
// - any ingress/egress (or *Deny) section makes selected endpoints default-deny
//   in that direction, unless enableDefaultDeny says otherwise;
// - protocol defaults to ANY; HTTP method and path are anchored regexes.
import { z } from 'zod';
import { changedAt, selectorSchema, unknownKeys, type PolicyObject } from './documents.ts';
import { mentionsNamespace } from './selectors.ts';
import type {
  Direction,
  PeerMatcher,
  Policy,
  PolicyKind,
  PolicyRef,
  PortMatcher,
  Protocol,
  Rule,
  Unsupported,
} from './types.ts';

const loose = <T extends z.ZodRawShape>(shape: T) => z.object(shape).loose();
const cidrSetSchema = loose({
  cidr: z.string().optional(),
  cidrGroupRef: z.string().optional(),
  except: z.array(z.string()).optional(),
});
const httpSchema = loose({ method: z.string().optional(), path: z.string().optional(), host: z.string().optional() });
const portRuleSchema = loose({
  ports: z
    .array(
      loose({
        port: z.union([z.string(), z.number()]).optional(),
        endPort: z.number().optional(),
        protocol: z.string().optional(),
      }),
    )
    .optional(),
  rules: loose({ http: z.array(httpSchema).optional(), dns: z.array(z.unknown()).optional() }).optional(),
});
const ruleSchema = loose({
  fromEndpoints: z.array(selectorSchema).optional(),
  toEndpoints: z.array(selectorSchema).optional(),
  fromCIDR: z.array(z.string()).optional(),
  toCIDR: z.array(z.string()).optional(),
  fromCIDRSet: z.array(cidrSetSchema).optional(),
  toCIDRSet: z.array(cidrSetSchema).optional(),
  fromEntities: z.array(z.string()).optional(),
  toEntities: z.array(z.string()).optional(),
  toFQDNs: z.array(loose({ matchName: z.string().optional(), matchPattern: z.string().optional() })).optional(),
  toPorts: z.array(portRuleSchema).optional(),
});
const specSchema = loose({
  endpointSelector: selectorSchema.optional(),
  ingress: z.array(ruleSchema).optional(),
  ingressDeny: z.array(ruleSchema).optional(),
  egress: z.array(ruleSchema).optional(),
  egressDeny: z.array(ruleSchema).optional(),
  enableDefaultDeny: loose({ ingress: z.boolean().optional(), egress: z.boolean().optional() }).optional(),
});

const SPEC_KEYS = [
  'endpointSelector',
  'ingress',
  'ingressDeny',
  'egress',
  'egressDeny',
  'enableDefaultDeny',
  'labels',
  'description',
  'log',
];
const PEER_KEYS: Record<Direction, string[]> = {
  ingress: ['fromEndpoints', 'fromCIDR', 'fromCIDRSet', 'fromEntities', 'toPorts'],
  egress: ['toEndpoints', 'toCIDR', 'toCIDRSet', 'toEntities', 'toFQDNs', 'toPorts'],
};
const SUPPORTED_ENTITIES = ['all', 'world', 'cluster'];
const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP', 'ANY'] satisfies Protocol[];
const isProtocol = (p: string): p is Protocol => PROTOCOLS.includes(p);

/** One Cilium rule (an element of `specs`, or `spec`) as a policy of the model. */
export function fromCiliumPolicy(object: PolicyObject): (Policy | Unsupported)[] {
  const kind = object.kind as PolicyKind;
  const clusterwide = kind === 'CiliumClusterwideNetworkPolicy';
  const namespace = clusterwide ? undefined : (object.metadata.namespace ?? 'default');
  const ref: PolicyRef = { kind, ...(namespace ? { namespace } : {}), name: object.metadata.name };
  const label = `${kind} ${namespace ? `${namespace}/` : ''}${ref.name}`;
  const raw = object as { spec?: unknown; specs?: unknown };
  const specs: [string, unknown][] = [
    ...(raw.spec !== undefined ? [['spec', raw.spec] as [string, unknown]] : []),
    ...(Array.isArray(raw.specs) ? raw.specs.map((s, i): [string, unknown] => [`specs[${i}]`, s]) : []),
  ];
  if (specs.length === 0) return [{ policy: label, path: 'spec', note: 'no spec or specs' }];
  const when = changedAt(object.metadata);
  return specs.map(([path, value]) => {
    const parsed = specSchema.safeParse(value);
    if (!parsed.success)
      return { policy: label, path, note: `not a valid Cilium rule: ${z.prettifyError(parsed.error)}` };
    const s = parsed.data;
    const unsupported: Unsupported[] = [];
    unknownKeys(value, SPEC_KEYS, label, path, unsupported);
    if (!s.endpointSelector) {
      unsupported.push({
        policy: label,
        path: `${path}.endpointSelector`,
        note: 'no endpointSelector (nodeSelector policies are not analysed): the rule selects nothing here',
      });
    }
    const rules: Rule[] = [];
    const sections = [
      ['ingress', false],
      ['ingressDeny', true],
      ['egress', false],
      ['egressDeny', true],
    ] as const;
    for (const [section, deny] of sections) {
      const direction: Direction = section.startsWith('ingress') ? 'ingress' : 'egress';
      s[section]?.forEach((r, i) => {
        const rule = toRule(r, { ref, label, direction, deny, path: `${path}.${section}[${i}]`, namespace });
        unsupported.push(...rule.unsupported);
        rules.push(rule);
      });
    }
    const defaults = s.enableDefaultDeny ?? {};
    const has = (d: Direction) => (s[d]?.length ?? 0) > 0 || (s[`${d}Deny`]?.length ?? 0) > 0;
    return {
      ref,
      ...(namespace ? { namespace } : {}),
      subject: s.endpointSelector ?? { matchLabels: { 'reserved:none': 'true' } },
      cilium: true,
      isolates: {
        ingress: has('ingress') && defaults.ingress !== false,
        egress: has('egress') && defaults.egress !== false,
      },
      rules,
      unsupported,
      ...(when ? { changedAt: when } : {}),
    };
  });
}

interface RuleContext {
  ref: PolicyRef;
  label: string;
  direction: Direction;
  deny: boolean;
  path: string;
  namespace: string | undefined;
}

function toRule(r: z.infer<typeof ruleSchema>, ctx: RuleContext): Rule {
  const own: Unsupported[] = [];
  unknownKeys(r, PEER_KEYS[ctx.direction], ctx.label, ctx.path, own);
  const ing = ctx.direction === 'ingress';
  const peers: PeerMatcher[] = [];
  for (const selector of (ing ? r.fromEndpoints : r.toEndpoints) ?? []) {
    const crossNamespace = ctx.namespace === undefined || mentionsNamespace(selector);
    peers.push({
      kind: 'endpoints',
      selector,
      namespaces: crossNamespace ? 'any' : { only: ctx.namespace as string },
      cilium: true,
    });
  }
  for (const cidr of (ing ? r.fromCIDR : r.toCIDR) ?? []) peers.push({ kind: 'cidr', cidr, except: [] });
  ((ing ? r.fromCIDRSet : r.toCIDRSet) ?? []).forEach((set, i) => {
    if (set.cidr) peers.push({ kind: 'cidr', cidr: set.cidr, except: set.except ?? [] });
    else
      own.push({
        policy: ctx.label,
        path: `${ctx.path}.${ing ? 'from' : 'to'}CIDRSet[${i}]`,
        note: 'cidrGroupRef needs the CiliumCIDRGroup; treated as not matching',
      });
  });
  ((ing ? r.fromEntities : r.toEntities) ?? []).forEach((entity, i) => {
    if (!SUPPORTED_ENTITIES.includes(entity)) {
      own.push({
        policy: ctx.label,
        path: `${ctx.path}.${ing ? 'from' : 'to'}Entities[${i}]`,
        note: `entity "${entity}" is not evaluated (only ${SUPPORTED_ENTITIES.join(', ')}); treated as not matching`,
      });
    }
    peers.push({ kind: 'entity', entity });
  });
  for (const fqdn of ing ? [] : (r.toFQDNs ?? [])) {
    peers.push({
      kind: 'fqdn',
      ...(fqdn.matchName ? { matchName: fqdn.matchName } : {}),
      ...(fqdn.matchPattern ? { matchPattern: fqdn.matchPattern } : {}),
    });
  }
  const ports = (r.toPorts ?? []).flatMap((pr, i) => portMatchers(pr, ctx, `${ctx.path}.toPorts[${i}]`, own));
  const hasPeerField = PEER_KEYS[ctx.direction].some(
    (k) => k !== 'toPorts' && (r as Record<string, unknown>)[k] !== undefined,
  );
  const rule: Rule = { policy: ctx.ref, direction: ctx.direction, deny: ctx.deny, path: ctx.path, unsupported: own };
  // A rule with neither peers nor ports allows nothing (Cilium's `{}`).
  if (hasPeerField || ports.length === 0) rule.peers = peers;
  if ((r.toPorts?.length ?? 0) > 0) rule.ports = ports;
  return rule;
}

function portMatchers(
  pr: z.infer<typeof portRuleSchema>,
  ctx: RuleContext,
  path: string,
  own: Unsupported[],
): PortMatcher[] {
  unknownKeys(pr, ['ports', 'rules'], ctx.label, path, own);
  unknownKeys(pr.rules, ['http', 'dns'], ctx.label, `${path}.rules`, own);
  pr.rules?.http?.forEach((h, i) =>
    unknownKeys(h, ['method', 'path', 'host'], ctx.label, `${path}.rules.http[${i}]`, own),
  );
  if (pr.rules?.dns)
    own.push({
      policy: ctx.label,
      path: `${path}.rules.dns`,
      note: 'DNS L7 rules restrict which names may be looked up; noted, not evaluated per name',
    });
  if (ctx.deny && pr.rules)
    own.push({ policy: ctx.label, path: `${path}.rules`, note: 'L7 rules are not allowed in deny rules' });
  const http = pr.rules?.http?.map((h) => ({
    ...(h.method ? { method: h.method } : {}),
    ...(h.path ? { path: h.path } : {}),
    ...(h.host ? { host: h.host } : {}),
  }));
  const list = pr.ports ?? [{}];
  return list.map((p, i) => {
    const protocol = (p.protocol ?? 'ANY').toUpperCase();
    const valid = isProtocol(protocol);
    if (!valid)
      own.push({
        policy: ctx.label,
        path: `${path}.ports[${i}].protocol`,
        note: `protocol ${protocol} is not evaluated; treated as not matching`,
      });
    const portText = p.port === undefined ? undefined : String(p.port);
    const port =
      portText === undefined || portText === '0' ? undefined : /^\d+$/.test(portText) ? Number(portText) : portText;
    if (typeof port === 'string')
      own.push({
        policy: ctx.label,
        path: `${path}.ports[${i}].port`,
        note: `named port "${port}" needs the pod's container ports; treated as not matching`,
      });
    return {
      protocol: valid ? protocol : 'UNSUPPORTED',
      ...(port === undefined ? {} : { port }),
      ...(p.endPort ? { endPort: p.endPort } : {}),
      ...(http?.length ? { http } : {}),
    };
  });
}
