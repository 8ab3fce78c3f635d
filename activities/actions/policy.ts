// restore-policy: put a NetworkPolicy or Cilium policy back to its previous
// version, when nightshift knows it: from its own history of versions it has
// seen, else from kubectl's last-applied annotation when that differs from
// the live object. Otherwise it changes nothing and shows what is live.
// The replace carries the resourceVersion, so a concurrent edit fails it.
// The content it replaced is kept on the object (an annotation beside the
// step's key), so a retried or failed attempt whose result was lost keeps
// its undo.
import { stringify } from 'yaml';
import { z } from 'zod';
import { failure } from '../../model/index.ts';
import type { Kube } from '../collectors/kubernetes/client.ts';
import type { ActionResult, StepCall } from '../../model/index.ts';
import { k8s, params } from './common.ts';
import { contentHash, policyContent, type PolicyHistory, type PolicyKey } from './history.ts';
import { lineDiff } from './diff.ts';

const RESTORED_BY = 'nightshift.dev/restored-by';
const REPLACED = 'nightshift.dev/replaced-content';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const restoreParams = z.object({
  kind: z.enum(['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy']),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1),
});
const undoSchema = z.object({
  undo: z.object({
    kind: restoreParams.shape.kind,
    namespace: z.string().optional(),
    name: z.string(),
    content: z.string(),
    appliedHash: z.string(),
  }),
});
const objectSchema = z
  .object({
    metadata: z
      .object({
        name: z.string(),
        resourceVersion: z.string().optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .loose(),
  })
  .loose();

type Obj = z.infer<typeof objectSchema>;
type Target = z.infer<typeof restoreParams>;

const CILIUM = { group: 'cilium.io', version: 'v2' };

async function read(kube: Kube, t: Target): Promise<Obj> {
  const what = `get ${t.kind} ${t.namespace ?? ''}/${t.name}`;
  const raw: unknown =
    t.kind === 'NetworkPolicy'
      ? JSON.parse(
          JSON.stringify(
            await k8s(what, () =>
              kube.networking.readNamespacedNetworkPolicy({ namespace: t.namespace ?? 'default', name: t.name }),
            ),
          ),
        )
      : t.kind === 'CiliumNetworkPolicy'
        ? await k8s(what, () =>
            kube.custom.getNamespacedCustomObject({
              ...CILIUM,
              plural: 'ciliumnetworkpolicies',
              namespace: t.namespace ?? 'default',
              name: t.name,
            }),
          )
        : await k8s(what, () =>
            kube.custom.getClusterCustomObject({ ...CILIUM, plural: 'ciliumclusterwidenetworkpolicies', name: t.name }),
          );
  return objectSchema.parse(raw);
}

async function replace(kube: Kube, t: Target, body: Obj): Promise<void> {
  const what = `replace ${t.kind} ${t.namespace ?? ''}/${t.name}`;
  if (t.kind === 'NetworkPolicy') {
    await k8s(what, () =>
      kube.networking.replaceNamespacedNetworkPolicy({
        namespace: t.namespace ?? 'default',
        name: t.name,
        body: { ...body, apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
      }),
    );
  } else if (t.kind === 'CiliumNetworkPolicy') {
    await k8s(what, () =>
      kube.custom.replaceNamespacedCustomObject({
        ...CILIUM,
        plural: 'ciliumnetworkpolicies',
        namespace: t.namespace ?? 'default',
        name: t.name,
        body,
      }),
    );
  } else {
    await k8s(what, () =>
      kube.custom.replaceClusterCustomObject({
        ...CILIUM,
        plural: 'ciliumclusterwidenetworkpolicies',
        name: t.name,
        body,
      }),
    );
  }
}

/** The body that puts `content` in place of the live object's spec/specs, noting who did it (and what it replaced, for a restore). */
function withContent(live: Obj, content: Record<string, unknown>, key: string, replaced?: string): Obj {
  const rest: Record<string, unknown> = Object.fromEntries(
    Object.entries(live).filter(([k]) => !['spec', 'specs', 'status'].includes(k)),
  );
  const annotations = Object.fromEntries(
    Object.entries({ ...live.metadata.annotations, [RESTORED_BY]: key }).filter(([name]) => name !== REPLACED),
  );
  return {
    ...rest,
    metadata: { ...live.metadata, annotations: replaced ? { ...annotations, [REPLACED]: replaced } : annotations },
    ...content,
  };
}

/** The undo this step left on the object, when it is this step's. */
function undoOnObject(live: Obj, t: Target, key: string) {
  const notes = live.metadata.annotations ?? {};
  const replaced = notes[REPLACED];
  if (notes[RESTORED_BY] !== key || !replaced) return undefined;
  return {
    kind: t.kind,
    ...(t.namespace ? { namespace: t.namespace } : {}),
    name: t.name,
    content: replaced,
    appliedHash: contentHash(policyContent(live)),
  };
}

async function previousVersion(history: PolicyHistory | undefined, key: PolicyKey, live: Obj) {
  const liveHash = contentHash(policyContent(live));
  const seen = (await history?.versions(key)) ?? [];
  const fromHistory = [...seen].reverse().find((v) => v.hash !== liveHash);
  if (fromHistory)
    return {
      content: z.record(z.string(), z.unknown()).parse(fromHistory.content),
      source: `nightshift's record of ${fromHistory.seenAt}`,
    };
  const applied = live.metadata.annotations?.[LAST_APPLIED];
  if (applied) {
    const content = policyContent(z.record(z.string(), z.unknown()).parse(JSON.parse(applied)));
    if (contentHash(content) !== liveHash) return { content, source: 'the last-applied-configuration annotation' };
  }
  return undefined;
}

export function createPolicyActions(kube: () => Kube, history: PolicyHistory | undefined) {
  return {
    async restorePolicy(call: StepCall): Promise<ActionResult> {
      const t = params(restoreParams, call, 'restore-policy');
      if (t.kind !== 'CiliumClusterwideNetworkPolicy' && !t.namespace)
        throw failure('InvalidInput', `restore-policy: ${t.kind} needs a namespace`);
      const k = kube();
      const what = `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
      const live = await read(k, t);
      if (live.metadata.annotations?.[RESTORED_BY] === call.context.key) {
        const undo = undoOnObject(live, t, call.context.key);
        return { changed: false, summary: `${what} was already restored by this step`, ...(undo ? { undo } : {}) };
      }
      const previous = await previousVersion(history, t, live);
      const liveContent = policyContent(live);
      if (!previous) {
        return {
          changed: false,
          summary: `no earlier version of ${what} is known (not in nightshift's record, no differing last-applied annotation): review it by hand`,
          details: { live: stringify(liveContent) },
        };
      }
      const diff = lineDiff(stringify(liveContent), stringify(previous.content));
      if (call.dryRun)
        return {
          changed: false,
          summary: `would restore ${what} from ${previous.source}:\n${diff.join('\n')}`,
          details: { diff },
        };
      await replace(k, t, withContent(live, previous.content, call.context.key, JSON.stringify(liveContent)));
      return {
        changed: true,
        summary: `${what} restored from ${previous.source} (${diff.filter((l) => /^[-+]/.test(l)).length} line(s) changed)`,
        undo: {
          kind: t.kind,
          ...(t.namespace ? { namespace: t.namespace } : {}),
          name: t.name,
          content: JSON.stringify(liveContent),
          appliedHash: contentHash(previous.content),
        },
        details: { diff },
      };
    },

    async undoRestorePolicy(call: StepCall & { undo?: unknown }): Promise<ActionResult> {
      const k = kube();
      const given = undoSchema.safeParse(call).data?.undo;
      // Without the action's result (it failed or was cancelled after replacing), the object says whether this step restored it.
      const asked = restoreParams.safeParse(call.params).data;
      const t: Target | undefined = given
        ? { kind: given.kind, ...(given.namespace ? { namespace: given.namespace } : {}), name: given.name }
        : asked;
      if (!t) return { changed: false, summary: 'restore-policy made no change to undo' };
      const live = await read(k, t);
      const u = given ?? undoOnObject(live, t, call.context.key);
      if (!u) return { changed: false, summary: 'restore-policy made no change to undo' };
      if (contentHash(policyContent(live)) !== u.appliedHash)
        return { changed: false, summary: `${u.kind} ${u.name} changed since nightshift restored it; left as it is` };
      await replace(
        k,
        t,
        withContent(live, z.record(z.string(), z.unknown()).parse(JSON.parse(u.content)), `undo:${call.context.key}`),
      );
      return { changed: true, summary: `${u.kind} ${u.name} put back as it was before the restore` };
    },
  };
}
