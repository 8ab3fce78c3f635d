// networking.k8s.io/v1 NetworkPolicy into the analyser's model. Kubernetes
// semantics: a missing or empty `from`/`to` means every peer, missing or empty
// `ports` every port, protocol defaults to TCP; policyTypes defaults to
// Ingress, plus Egress when the spec has an egress section.
import { z } from 'zod';
import { changedAt, selectorSchema, unknownKeys, type PolicyObject } from './documents.ts';
import type { PeerMatcher, Policy, PolicyRef, PortMatcher, Rule, Unsupported } from './types.ts';

const peerSchema = z
  .object({
    podSelector: selectorSchema.optional(),
    namespaceSelector: selectorSchema.optional(),
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
  })
  .loose();

const portSchema = z
  .object({
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
    port: z.union([z.number().int(), z.string()]).optional(),
    endPort: z.number().int().optional(),
  })
  .loose();

const ruleSchema = z
  .object({
    from: z.array(peerSchema).optional(),
    to: z.array(peerSchema).optional(),
    ports: z.array(portSchema).optional(),
  })
  .loose();

const specSchema = z
  .object({
    podSelector: selectorSchema.default({}),
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z.array(ruleSchema).optional(),
    egress: z.array(ruleSchema).optional(),
  })
  .loose();

export function fromNetworkPolicy(object: PolicyObject): Policy | Unsupported {
  const namespace = object.metadata.namespace ?? 'default';
  const ref: PolicyRef = { kind: 'NetworkPolicy', namespace, name: object.metadata.name };
  const label = `NetworkPolicy ${namespace}/${ref.name}`;
  const spec = specSchema.safeParse((object as { spec?: unknown }).spec ?? {});
  if (!spec.success)
    return { policy: label, path: 'spec', note: `not a valid NetworkPolicy spec: ${z.prettifyError(spec.error)}` };
  const unsupported: Unsupported[] = [];
  const raw = (object as { spec?: unknown }).spec;
  unknownKeys(raw, ['podSelector', 'policyTypes', 'ingress', 'egress'], label, 'spec', unsupported);
  const s = spec.data;
  const types = s.policyTypes ?? ['Ingress', ...(s.egress ? (['Egress'] as const) : [])];
  const rules: Rule[] = [];
  const add = (direction: 'ingress' | 'egress', list: z.infer<typeof ruleSchema>[] | undefined) => {
    list?.forEach((r, i) => {
      const path = `spec.${direction}[${i}]`;
      const own: Unsupported[] = [];
      unknownKeys(r, direction === 'ingress' ? ['from', 'ports'] : ['to', 'ports'], label, path, own);
      const peers = direction === 'ingress' ? r.from : r.to;
      rules.push({
        policy: ref,
        direction,
        deny: false,
        path,
        ...(peers && peers.length
          ? {
              peers: peers.map((p, j) =>
                peer(p, namespace, label, `${path}.${direction === 'ingress' ? 'from' : 'to'}[${j}]`, own),
              ),
            }
          : {}),
        ...(r.ports && r.ports.length
          ? { ports: r.ports.map((p, j) => port(p, label, `${path}.ports[${j}]`, own)) }
          : {}),
        unsupported: own,
      });
      unsupported.push(...own);
    });
  };
  if (types.includes('Ingress')) add('ingress', s.ingress);
  if (types.includes('Egress')) add('egress', s.egress);
  const when = changedAt(object.metadata);
  return {
    ref,
    namespace,
    subject: s.podSelector,
    cilium: false,
    isolates: { ingress: types.includes('Ingress'), egress: types.includes('Egress') },
    rules,
    unsupported,
    ...(when ? { changedAt: when } : {}),
  };
}

function peer(
  p: z.infer<typeof peerSchema>,
  namespace: string,
  label: string,
  path: string,
  out: Unsupported[],
): PeerMatcher {
  unknownKeys(p, ['podSelector', 'namespaceSelector', 'ipBlock'], label, path, out);
  if (p.ipBlock) return { kind: 'cidr', cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] };
  return {
    kind: 'endpoints',
    selector: p.podSelector ?? {},
    namespaces: p.namespaceSelector ? { selector: p.namespaceSelector } : { only: namespace },
    cilium: false,
  };
}

function port(p: z.infer<typeof portSchema>, label: string, path: string, out: Unsupported[]): PortMatcher {
  unknownKeys(p, ['protocol', 'port', 'endPort'], label, path, out);
  const value = typeof p.port === 'string' && /^\d+$/.test(p.port) ? Number(p.port) : p.port;
  if (typeof value === 'string') {
    out.push({
      policy: label,
      path: `${path}.port`,
      note: `named port "${value}" needs the pod's container ports; the analyser treats it as not matching`,
    });
  }
  return {
    protocol: p.protocol,
    ...(value === undefined ? {} : { port: value }),
    ...(p.endPort ? { endPort: p.endPort } : {}),
  };
}
