// shift-route-weight: send all of an HTTPRoute rule's traffic to one backend
// (the stable one). Merge patch of spec.rules with the route's
// resourceVersion as precondition, then wait until the route's status was
// written for the new generation. The previous weights are recorded, in the
// result and on the route itself (annotations with the step's key), so the
// undo puts them back — also after a retried or failed attempt whose result
// was lost — unless someone changed them since.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Value, ActionResult, StepCall } from '../../model/index.ts';
import { failure } from '../../model/index.ts';
import type { Kube } from '../collectors/kubernetes/client.ts';
import { httpRouteSchema } from '../collectors/kubernetes/routes.ts';
import { duration, k8s, params, waitUntil } from './common.ts';

const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

const shiftParams = z.object({
  namespace: z.string().min(1),
  route: z.string().min(1),
  backend: z.string().min(1),
  /** Only this rule (index); default: every rule that has the backend. */
  rule: z.number().int().min(0).optional(),
  statusTimeout: duration('30s'),
});

const undoParams = z.object({
  undo: z.object({
    namespace: z.string(),
    route: z.string(),
    /** Weights per rule before the shift: [[name, weight], ...] per rule index. */
    before: z.record(z.string(), z.array(z.tuple([z.string(), z.number()]))),
    after: z.record(z.string(), z.array(z.tuple([z.string(), z.number()]))),
  }),
});

type Weights = Record<string, [string, number][]>;

/** The step that shifted the route, and the weights before and after, kept on the route. */
const SHIFTED_BY = 'nightshift.dev/shifted-by';
const SHIFTED_BEFORE = 'nightshift.dev/shifted-before';
const SHIFTED_AFTER = 'nightshift.dev/shifted-after';

const weightsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.number()])));
const annotationsOf = (raw: unknown): Record<string, string> =>
  z
    .object({ metadata: z.object({ annotations: z.record(z.string(), z.string()).default({}) }).loose() })
    .loose()
    .safeParse(raw).data?.metadata.annotations ?? {};

/** The undo this step left on the route, when it is this step's. */
function undoOnRoute(raw: unknown, key: string, namespace: string, route: string) {
  const notes = annotationsOf(raw);
  if (notes[SHIFTED_BY] !== key) return undefined;
  const parse = (text: string | undefined) => weightsSchema.safeParse(JSON.parse(text ?? 'null')).data;
  const before = parse(notes[SHIFTED_BEFORE]);
  const after = parse(notes[SHIFTED_AFTER]);
  return before && after ? { namespace, route, before, after } : undefined;
}

const targetParams = z.object({ namespace: z.string().min(1), route: z.string().min(1) });

/** The route's rules as plain objects, so a patch keeps every field we do not touch. */
const rawRules = z
  .object({ spec: z.object({ rules: z.array(z.record(z.string(), z.unknown())).default([]) }).loose() })
  .loose();

async function readRoute(kube: Kube, namespace: string, name: string) {
  const raw: unknown = await k8s(`get httproute ${namespace}/${name}`, () =>
    kube.custom.getNamespacedCustomObject({ ...GATEWAY, namespace, name }),
  );
  const parsed = httpRouteSchema.safeParse(raw);
  if (!parsed.success)
    throw failure('InvalidInput', `HTTPRoute ${namespace}/${name} cannot be read: ${z.prettifyError(parsed.error)}`);
  return { raw: rawRules.parse(raw), route: parsed.data };
}

const weightsOf = (rules: { backendRefs: { name: string; weight?: number }[] }[]): Weights =>
  Object.fromEntries(
    rules.map((r, i) => [String(i), r.backendRefs.map((b): [string, number] => [b.name, b.weight ?? 1])]),
  );

/** Patch the rules' weights to `target` (per rule index), and the annotations given (null removes), and wait for status of the new generation. */
async function applyWeights(
  kube: Kube,
  namespace: string,
  name: string,
  target: Weights,
  statusTimeoutMs: number,
  annotations: Record<string, string | null> = {},
) {
  const { raw, route } = await readRoute(kube, namespace, name);
  const rules = raw.spec.rules.map((rule, i) => {
    const wanted = target[String(i)];
    if (!wanted) return rule;
    const refs = z.array(z.record(z.string(), z.unknown())).catch([]).parse(rule.backendRefs);
    return {
      ...rule,
      backendRefs: refs.map((ref) => ({ ...ref, weight: wanted.find(([n]) => n === ref.name)?.[1] ?? ref.weight })),
    };
  });
  const patch = { metadata: { resourceVersion: route.metadata.resourceVersion, annotations }, spec: { rules } };
  const patched: unknown = await k8s(`patch httproute ${namespace}/${name}`, () =>
    kube.custom.patchNamespacedCustomObject(
      { ...GATEWAY, namespace, name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ),
  );
  const generation = httpRouteSchema.safeParse(patched).data?.metadata.generation;
  // Trust the status only once it was written for the new generation.
  const observed = await waitUntil(
    'route status',
    async () => {
      const now = (await readRoute(kube, namespace, name)).route;
      const conditions = (now.status?.parents ?? []).flatMap((p) => p.conditions);
      const current =
        conditions.length > 0 &&
        conditions.every((c) => generation === undefined || (c.observedGeneration ?? 0) >= generation);
      return current ? conditions.map((c) => `${c.type}=${c.status}`) : undefined;
    },
    statusTimeoutMs,
  );
  return { generation, observed };
}

export function createRouteWeightActions(kube: () => Kube) {
  return {
    async shiftRouteWeight(call: StepCall): Promise<ActionResult> {
      const p = params(shiftParams, call, 'shift-route-weight');
      const k = kube();
      const { raw, route } = await readRoute(k, p.namespace, p.route);
      const what = `HTTPRoute ${p.namespace}/${p.route}`;
      // A retry of this step (its first attempt shifted, then its answer was lost): the undo is on the route.
      const mine = undoOnRoute(raw, call.context.key, p.namespace, p.route);
      if (mine) return { changed: false, summary: `${what} was already shifted by this step`, undo: toUndo(mine) };
      const before = weightsOf(route.spec.rules);
      const after: Weights = {};
      route.spec.rules.forEach((rule, i) => {
        if (p.rule !== undefined && p.rule !== i) return;
        if (!rule.backendRefs.some((b) => b.name === p.backend)) return;
        const total = rule.backendRefs.reduce((sum, b) => sum + (b.weight ?? 1), 0) || 1;
        after[String(i)] = rule.backendRefs.map((b): [string, number] => [b.name, b.name === p.backend ? total : 0]);
      });
      if (Object.keys(after).length === 0)
        throw failure('InvalidInput', `HTTPRoute ${p.namespace}/${p.route} has no rule with backend ${p.backend}`);
      const change = Object.entries(after).flatMap(([i, list]) =>
        list
          .filter(([n, w]) => before[i]?.find(([m]) => m === n)?.[1] !== w)
          .map(([n, w]) => `rule ${i}: ${n} ${before[i]?.find(([m]) => m === n)?.[1]} → ${w}`),
      );
      if (change.length === 0) return { changed: false, summary: `${what} already sends everything to ${p.backend}` };
      if (call.dryRun)
        return {
          changed: false,
          summary: `would merge-patch ${what}: ${change.join(', ')}`,
          details: { before, after },
        };
      const { generation, observed } = await applyWeights(k, p.namespace, p.route, after, p.statusTimeout, {
        [SHIFTED_BY]: call.context.key,
        [SHIFTED_BEFORE]: JSON.stringify(pick(before, Object.keys(after))),
        [SHIFTED_AFTER]: JSON.stringify(after),
      });
      const status = observed
        ? `status for generation ${generation}: ${observed.join(', ')}`
        : `status not yet written for generation ${generation ?? '?'} (the gateway may lag)`;
      const undo = toUndo({ namespace: p.namespace, route: p.route, before: pick(before, Object.keys(after)), after });
      return {
        changed: true,
        summary: `${what}: ${change.join(', ')}; ${status}`,
        undo,
        details: { before, after, generation },
      };
    },

    async undoShiftRouteWeight(call: StepCall & { undo?: unknown }): Promise<ActionResult> {
      const k = kube();
      const given = undoParams.safeParse(call).data?.undo;
      // Without the action's result (it failed or was cancelled after patching), the route says whether this step shifted it.
      const target = given ?? targetParams.safeParse(call.params).data;
      if (!target) return { changed: false, summary: 'shift-route-weight made no change to undo' };
      const current = await readRoute(k, target.namespace, target.route);
      const undo = given ?? undoOnRoute(current.raw, call.context.key, target.namespace, target.route);
      if (!undo) return { changed: false, summary: 'shift-route-weight made no change to undo' };
      const { namespace, route, before, after } = undo;
      const now = weightsOf(current.route.spec.rules);
      const untouched = Object.entries(after).every(([i, list]) =>
        list.every(([n, w]) => now[i]?.find(([m]) => m === n)?.[1] === w),
      );
      if (!untouched)
        return {
          changed: false,
          summary: `HTTPRoute ${namespace}/${route} changed since nightshift shifted it; left as it is`,
          details: { now, expected: after },
        };
      await applyWeights(k, namespace, route, before, 10_000, {
        [SHIFTED_BY]: null,
        [SHIFTED_BEFORE]: null,
        [SHIFTED_AFTER]: null,
      });
      return {
        changed: true,
        summary: `HTTPRoute ${namespace}/${route}: weights restored to ${JSON.stringify(before)}`,
      };
    },
  };
}

const pick = (w: Weights, keys: string[]): Weights => Object.fromEntries(keys.map((k) => [k, w[k] ?? []]));
const toValue = (w: Weights): Value =>
  Object.fromEntries(Object.entries(w).map(([k, list]) => [k, list.map(([n, v]) => [n, v])]));
const toUndo = (u: { namespace: string; route: string; before: Weights; after: Weights }): Record<string, Value> => ({
  namespace: u.namespace,
  route: u.route,
  before: toValue(u.before),
  after: toValue(u.after),
});
