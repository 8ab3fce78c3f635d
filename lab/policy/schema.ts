// The policy kinds the lab enforces, as zod schemas: CiliumNetworkPolicy
// (and its clusterwide twin) and Kubernetes NetworkPolicy. A field the lab
// does not enforce is refused by name rather than silently ignored.
import { z } from 'zod';
import { selectorSchema } from './labels.ts';

const portNumber = z.union([
  z.number().int().min(0).max(65535),
  z
    .string()
    .regex(/^\d{1,5}$/, 'a port number (named ports are not enforced by the lab)')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535)),
]);

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/, 'an IPv4 address or CIDR (the lab is IPv4 only)');

const cidrRule = z.strictObject({ cidr, except: z.array(cidr).optional() });

const httpRule = z.strictObject({
  method: z.string().optional(),
  path: z.string().optional(),
  host: z.string().optional(),
  headers: z.array(z.string()).optional(),
});

const fqdnSelector = z
  .strictObject({ matchName: z.string().min(1).optional(), matchPattern: z.string().min(1).optional() })
  .refine(
    (s) => (s.matchName === undefined) !== (s.matchPattern === undefined),
    'exactly one of matchName, matchPattern',
  );

const portRule = z.strictObject({
  ports: z
    .array(
      z.strictObject({
        port: portNumber.optional(),
        protocol: z.enum(['TCP', 'UDP', 'SCTP', 'ANY']).optional(),
      }),
    )
    .optional(),
  rules: z.strictObject({ http: z.array(httpRule).optional(), dns: z.array(fqdnSelector).optional() }).optional(),
});

export const ENTITIES = [
  'all',
  'world',
  'cluster',
  'host',
  'remote-node',
  'kube-apiserver',
  'health',
  'init',
  'unmanaged',
  'ingress',
] as const;
export type Entity = (typeof ENTITIES)[number];
const entities = z.array(z.enum(ENTITIES));

const ingressRule = z.strictObject({
  fromEndpoints: z.array(selectorSchema).optional(),
  fromCIDR: z.array(cidr).optional(),
  fromCIDRSet: z.array(cidrRule).optional(),
  fromEntities: entities.optional(),
  toPorts: z.array(portRule).optional(),
});

const egressRule = z.strictObject({
  toEndpoints: z.array(selectorSchema).optional(),
  toCIDR: z.array(cidr).optional(),
  toCIDRSet: z.array(cidrRule).optional(),
  toEntities: entities.optional(),
  toFQDNs: z.array(fqdnSelector).optional(),
  toPorts: z.array(portRule).optional(),
});

export const ciliumSpecSchema = z.strictObject({
  endpointSelector: selectorSchema,
  description: z.string().optional(),
  labels: z.array(z.unknown()).optional(),
  enableDefaultDeny: z.strictObject({ ingress: z.boolean().optional(), egress: z.boolean().optional() }).optional(),
  ingress: z.array(ingressRule).optional(),
  ingressDeny: z.array(ingressRule).optional(),
  egress: z.array(egressRule).optional(),
  egressDeny: z.array(egressRule).optional(),
});
export type CiliumSpec = z.infer<typeof ciliumSpecSchema>;
export type CiliumIngressRule = z.infer<typeof ingressRule>;
export type CiliumEgressRule = z.infer<typeof egressRule>;
export type PortRule = z.infer<typeof portRule>;
export type HttpRule = z.infer<typeof httpRule>;
export type FqdnSelector = z.infer<typeof fqdnSelector>;

const metadata = z.object({ name: z.string().min(1), namespace: z.string().min(1).optional() });

export const ciliumPolicySchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.enum(['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy']),
  metadata,
  spec: ciliumSpecSchema.optional(),
  specs: z.array(ciliumSpecSchema).optional(),
});

const k8sPort = z.strictObject({
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  port: portNumber.optional(),
});

const k8sPeer = z.strictObject({
  podSelector: selectorSchema.optional(),
  namespaceSelector: selectorSchema.optional(),
  ipBlock: cidrRule.optional(),
});
export type K8sPeer = z.infer<typeof k8sPeer>;

export const networkPolicySchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('NetworkPolicy'),
  metadata,
  spec: z.strictObject({
    podSelector: selectorSchema,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z
      .array(z.strictObject({ from: z.array(k8sPeer).optional(), ports: z.array(k8sPort).optional() }))
      .optional(),
    egress: z.array(z.strictObject({ to: z.array(k8sPeer).optional(), ports: z.array(k8sPort).optional() })).optional(),
  }),
});

export const policySchema = z.discriminatedUnion('kind', [ciliumPolicySchema, networkPolicySchema]);
export type Policy = z.infer<typeof policySchema>;

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** Parse one policy object; every problem is named with the policy and the field's path. */
export function parsePolicy(input: unknown): Policy {
  const result = policySchema.safeParse(input);
  if (result.success) return result.data;
  const meta = z.object({ kind: z.string(), metadata: metadata.partial() }).partial().safeParse(input).data;
  const where = `${meta?.kind ?? 'policy'} ${[meta?.metadata?.namespace, meta?.metadata?.name].filter(Boolean).join('/') || '(unnamed)'}`;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const message =
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.join(', ')}: not enforced by the lab's datapath`
        : issue.message;
    return `${path.replace(/^\./, '') || '(root)'}: ${message}`;
  });
  throw new PolicyError(`${where}: ${problems.join('; ')}`);
}
