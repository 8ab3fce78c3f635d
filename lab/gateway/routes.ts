// HTTPRoutes as the lab gateway uses them: parsed with zod from the watched
// objects, matched by hostname and path, and a backend picked by weight at
// the moment of each request (so shifting weights really moves traffic).
import { z } from 'zod';

const backendRefSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  port: z.number().int().optional(),
  weight: z.number().int().min(0).default(1),
  kind: z.string().default('Service'),
});

const matchSchema = z.object({
  path: z
    .object({
      type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
      value: z.string().default('/'),
    })
    .default({ type: 'PathPrefix', value: '/' }),
  method: z.string().optional(),
});

export const httpRouteSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string(), generation: z.number().optional() }),
  spec: z.object({
    parentRefs: z
      .array(z.object({ name: z.string(), namespace: z.string().optional(), kind: z.string().default('Gateway') }))
      .default([]),
    hostnames: z.array(z.string()).default([]),
    rules: z
      .array(
        z.object({
          matches: z.array(matchSchema).default([{ path: { type: 'PathPrefix', value: '/' } }]),
          backendRefs: z.array(backendRefSchema).default([]),
        }),
      )
      .default([]),
  }),
});
export type HttpRoute = z.infer<typeof httpRouteSchema>;
export type BackendRef = z.infer<typeof backendRefSchema>;

export interface Gateway {
  namespace: string;
  name: string;
}

export function attachedTo(route: HttpRoute, gateway: Gateway): boolean {
  return route.spec.parentRefs.some(
    (ref) =>
      ref.kind === 'Gateway' &&
      ref.name === gateway.name &&
      (ref.namespace ?? route.metadata.namespace) === gateway.namespace,
  );
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

function pathMatches(match: z.infer<typeof matchSchema>, path: string, method: string): boolean {
  if (match.method && match.method !== method) return false;
  const { type, value } = match.path;
  if (type === 'Exact') return path === value;
  if (type === 'RegularExpression') return new RegExp(`^${value}$`).test(path);
  const prefix = value.endsWith('/') && value !== '/' ? value.slice(0, -1) : value;
  return value === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

export interface Selected {
  route: HttpRoute;
  backends: BackendRef[];
}

/** The first rule (routes in name order) that matches, as Gateway API precedence roughly says. */
export function selectRule(
  routes: readonly HttpRoute[],
  host: string,
  path: string,
  method: string,
): Selected | undefined {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const ordered = [...routes].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
  for (const route of ordered) {
    if (route.spec.hostnames.length > 0 && !route.spec.hostnames.some((h) => hostMatches(h, hostname))) continue;
    for (const rule of route.spec.rules) {
      if (rule.matches.some((m) => pathMatches(m, path, method))) return { route, backends: rule.backendRefs };
    }
  }
  return undefined;
}

/** A backend by weight; undefined when every weight is 0. */
export function pickBackend(backends: readonly BackendRef[], random = Math.random): BackendRef | undefined {
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return undefined;
  let point = random() * total;
  for (const backend of backends) {
    point -= backend.weight;
    if (point < 0) return backend;
  }
  return backends.at(-1);
}
