// Flow questions as people type them: "production/app=checkout-frontend",
// "finance/app=postgres-db,tier=db", an IP ("203.0.113.7"), or "world".
import { z } from 'zod';
import { isAddress } from './cidr.ts';
import type { Endpoint, FlowQuery, Protocol } from './types.ts';

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/** "ns/k=v,k2=v2", "ns/" (any pod of ns), an IP address, or "world". */
export function parseEndpoint(text: string, what: string): Endpoint {
  const trimmed = text.trim();
  if (trimmed === 'world') return { labels: {}, external: true };
  if (isAddress(trimmed)) return { labels: {}, ip: trimmed, external: true };
  const slash = trimmed.indexOf('/');
  if (slash <= 0)
    throw new QueryError(
      `${what}: expected "namespace/key=value[,key=value]", an IP address or "world", got "${text}"`,
    );
  const namespace = trimmed.slice(0, slash);
  const labels: Record<string, string> = {};
  for (const pair of trimmed
    .slice(slash + 1)
    .split(',')
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || !LABEL.test(key) || (value !== '' && !LABEL.test(value))) {
      throw new QueryError(`${what}: "${pair}" is not a label key=value`);
    }
    labels[key] = value;
  }
  return { namespace, labels, external: false };
}

const querySchema = z.object({
  from: z.string().min(1, 'needs --from'),
  to: z.string().optional(),
  port: z.coerce.number().int().min(1).max(65535),
  protocol: z
    .string()
    .default('TCP')
    .transform((p) => p.toUpperCase())
    .pipe(z.enum(['TCP', 'UDP', 'SCTP', 'ANY'])),
  method: z.string().optional(),
  path: z.string().optional(),
  host: z.string().optional(),
  fqdn: z.string().optional(),
});

export type QueryInput = z.input<typeof querySchema>;

/** A flow question from CLI-like fields; every problem in one error. */
export function parseQuery(input: QueryInput): FlowQuery {
  const parsed = querySchema.safeParse(input);
  if (!parsed.success) throw new QueryError(z.prettifyError(parsed.error));
  const q = parsed.data;
  if (!q.to && !q.fqdn) throw new QueryError('needs --to or --fqdn');
  const from = parseEndpoint(q.from, '--from');
  let to: Endpoint = q.to ? parseEndpoint(q.to, '--to') : { labels: {}, external: true };
  if (q.fqdn) {
    if (!to.external)
      throw new QueryError('--fqdn names an address outside the cluster; --to must then be an IP or omitted');
    to = { ...to, fqdn: q.fqdn };
  }
  const http = {
    ...(q.method ? { method: q.method.toUpperCase() } : {}),
    ...(q.path ? { path: q.path } : {}),
    ...(q.host ? { host: q.host } : {}),
  };
  return {
    from,
    to,
    port: q.port,
    protocol: q.protocol satisfies Protocol,
    ...(Object.keys(http).length ? { http } : {}),
  };
}
