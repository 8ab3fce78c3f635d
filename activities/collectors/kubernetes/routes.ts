// Gateway API HTTPRoutes: backends with their weights and shares, which
// backend looks like the canary, and whether the route's status can be
// trusted yet (observedGeneration must match the route's generation).
import { z } from 'zod';

const conditionSchema = z
  .object({
    type: z.string(),
    status: z.string(),
    reason: z.string().optional(),
    message: z.string().optional(),
    observedGeneration: z.number().optional(),
  })
  .loose();

const backendSchema = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    kind: z.string().optional(),
    port: z.number().optional(),
    weight: z.number().int().min(0).optional(),
  })
  .loose();

export const httpRouteSchema = z
  .object({
    metadata: z
      .object({
        name: z.string(),
        namespace: z.string().optional(),
        generation: z.number().optional(),
        resourceVersion: z.string().optional(),
      })
      .loose(),
    spec: z
      .object({
        parentRefs: z.array(z.object({ name: z.string(), namespace: z.string().optional() }).loose()).default([]),
        hostnames: z.array(z.string()).default([]),
        rules: z
          .array(
            z
              .object({
                matches: z
                  .array(
                    z
                      .object({
                        path: z
                          .object({ type: z.string().optional(), value: z.string().optional() })
                          .loose()
                          .optional(),
                      })
                      .loose(),
                  )
                  .optional(),
                backendRefs: z.array(backendSchema).default([]),
              })
              .loose(),
          )
          .default([]),
      })
      .loose(),
    status: z
      .object({
        parents: z
          .array(
            z
              .object({
                parentRef: z.object({ name: z.string() }).loose().optional(),
                conditions: z.array(conditionSchema).default([]),
              })
              .loose(),
          )
          .default([]),
      })
      .loose()
      .optional(),
  })
  .loose();

export type HttpRouteObject = z.infer<typeof httpRouteSchema>;

export interface RouteBackend {
  name: string;
  namespace: string;
  port?: number;
  /** As written; Gateway API defaults a missing weight to 1. */
  weight: number;
  /** This backend's share of its rule's traffic, 0..1. */
  share: number;
}

export interface RouteRule {
  index: number;
  paths: string[];
  backends: RouteBackend[];
  /** Stable and canary, when the rule splits traffic unevenly between two or more backends. */
  split?: { stable: string; canaries: string[] };
}

export interface RouteInfo {
  namespace: string;
  name: string;
  generation?: number;
  hostnames: string[];
  parents: string[];
  rules: RouteRule[];
  conditions: {
    parent: string;
    type: string;
    status: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }[];
  /** Every parent's conditions were written for the current generation. */
  statusCurrent: boolean;
}

export function readRoute(object: HttpRouteObject): RouteInfo {
  const namespace = object.metadata.namespace ?? 'default';
  const generation = object.metadata.generation;
  const rules = object.spec.rules.map((rule, index): RouteRule => {
    const backends = rule.backendRefs.map((b) => ({
      name: b.name,
      namespace: b.namespace ?? namespace,
      ...(b.port === undefined ? {} : { port: b.port }),
      weight: b.weight ?? 1,
      share: 0,
    }));
    const total = backends.reduce((sum, b) => sum + b.weight, 0);
    for (const b of backends) b.share = total > 0 ? b.weight / total : 0;
    const paths = (rule.matches ?? []).flatMap((m) => (m.path?.value ? [m.path.value] : []));
    const split = splitOf(backends);
    return { index, paths, backends, ...(split ? { split } : {}) };
  });
  const conditions = (object.status?.parents ?? []).flatMap((p) =>
    p.conditions.map((c) => ({
      parent: p.parentRef?.name ?? '?',
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.observedGeneration === undefined ? {} : { observedGeneration: c.observedGeneration }),
    })),
  );
  const statusCurrent =
    conditions.length > 0 &&
    conditions.every(
      (c) => generation === undefined || c.observedGeneration === undefined || c.observedGeneration >= generation,
    );
  return {
    namespace,
    name: object.metadata.name,
    ...(generation === undefined ? {} : { generation }),
    hostnames: object.spec.hostnames,
    parents: object.spec.parentRefs.map((p) => p.name),
    rules,
    conditions,
    statusCurrent,
  };
}

/** The heaviest backend is stable; lighter ones carrying traffic are canaries. Equal weights: no split. */
function splitOf(backends: RouteBackend[]): RouteRule['split'] {
  const live = backends.filter((b) => b.weight > 0);
  if (live.length < 2) return undefined;
  const sorted = [...live].sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name));
  const stable = sorted[0] as RouteBackend;
  const canaries = sorted.slice(1).filter((b) => b.weight < stable.weight);
  return canaries.length ? { stable: stable.name, canaries: canaries.map((b) => b.name) } : undefined;
}
