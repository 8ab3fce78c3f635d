// The field rules of a fault, shared by the spec people write (workflows/fault/spec.ts)
// and the requests a node agent receives (activities/faults/agent.ts): both are
// checked with these, so the agent refuses whatever the spec would have refused,
// whoever sent it. Pure: the workflow sandbox imports it too.
import { z } from 'zod';

/** Kubernetes-style names: nodes, namespaces. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Linux interface names (IFNAMSIZ - 1). */
export const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
/** Fault ids and attachment keys: bpffs directory names. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A network namespace: a name under /run/netns, or a path in one of the
 * runtime's directories (/run/netns, /var/run/netns, /proc/<pid>/ns/net).
 * Nothing else: no "..", no other file a namespace could be opened from.
 */
export const NETNS_REF =
  /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,62}|\/(?:var\/)?run\/netns\/[A-Za-z0-9][A-Za-z0-9_.-]{0,40}|\/proc\/[1-9]\d{0,9}\/ns\/net)$/;
export const NETNS_HINT =
  'expected a network namespace name, or a path under /run/netns, /var/run/netns or /proc/<pid>/ns/net';

export const nameSchema = (what: string) => z.string().regex(NAME, `expected ${what}`);
export const ifnameSchema = z.string().regex(IFNAME, 'expected an interface name (at most 15 characters)');
export const netnsSchema = z.string().regex(NETNS_REF, NETNS_HINT);

export const MAX_PEERS = 65536;
export const peersSchema = z
  .array(z.union([z.cidrv4(), z.cidrv6()], { error: 'expected an IPv4 or IPv6 CIDR like "10.0.1.0/24"' }))
  .max(MAX_PEERS);

export const MAX_DELAY_MS = 10_000;
export const delayMsSchema = z.number().int().min(1).max(MAX_DELAY_MS);
export const jitterMsSchema = z.number().int().min(0).max(MAX_DELAY_MS);
export const ratePpsSchema = z.number().int().positive().max(10_000_000);

/** A normalised port range, as the workflow sends it. */
export const portRangeSchema = z
  .strictObject({ from: z.number().int().min(1).max(65535), to: z.number().int().min(1).max(65535) })
  .refine((r) => r.from <= r.to, 'port range runs backwards');

const ip = z.union([z.ipv4(), z.ipv6()], { error: 'expected an IP address' });

/** One inject request to a node agent: the normalised spec of one attachment. */
export const injectRequestSchema = z.strictObject({
  faultId: z.string().regex(SAFE_ID, 'expected a safe fault id'),
  key: z.string().regex(SAFE_ID, 'expected a safe attachment key'),
  target: z
    .strictObject({
      node: nameSchema('a node name'),
      interface: ifnameSchema.optional(),
      netns: netnsSchema.optional(),
      pod: z
        .strictObject({
          namespace: nameSchema('a Kubernetes namespace'),
          name: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'expected a pod name'),
          ip,
          netns: netnsSchema.optional(),
        })
        .optional(),
    })
    .refine((t) => (t.interface === undefined) !== (t.pod === undefined), 'expected an interface or a pod, not both'),
  kind: z.enum(['drop', 'delay']),
  match: z.strictObject({
    direction: z.enum(['ingress', 'egress']),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'any']),
    srcPorts: portRangeSchema.optional(),
    dstPorts: portRangeSchema.optional(),
    peers: peersSchema,
  }),
  magnitude: z.strictObject({
    dropPpm: z.number().int().min(0).max(1_000_000).optional(),
    delayMs: delayMsSchema.optional(),
    jitterMs: jitterMsSchema.optional(),
    ratePps: ratePpsSchema.optional(),
  }),
  deadline: z.iso.datetime({ offset: true }),
  dryRun: z.boolean().optional(),
  /** The requester holds the role that lets a fault touch the protected peers it names. */
  allowProtected: z.boolean().optional(),
});

export const revertRequestSchema = z.strictObject({
  faultId: z.string().regex(SAFE_ID, 'expected a safe fault id'),
  key: z.string().regex(SAFE_ID, 'expected a safe attachment key').optional(),
});

export const countersRequestSchema = z.strictObject({
  faultId: z.string().regex(SAFE_ID, 'expected a safe fault id'),
});

/** The role a requester needs before a fault may touch a protected peer it names explicitly. */
export const PROTECTED_PEERS_ROLE = 'chaos-admin';
