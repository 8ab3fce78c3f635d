// Deployment actions. rollout-restart: stamp the pod template (as `kubectl
// rollout restart` does) with this step's key, so a retry finds its own stamp
// and changes nothing, then wait for the rollout. rollback-deployment: put
// back the pod template of the previous revision's ReplicaSet, noting on the
// Deployment the step's key and the ReplicaSet whose template it replaced;
// its undo re-applies that ReplicaSet's template. A pod template (env values
// and all) is never part of a result, so it never reaches Temporal history,
// and the undo is found by the step's key even when the result was lost.
import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { failure } from '../../model/index.ts';
import type { Kube } from '../collectors/kubernetes/client.ts';
import type { ActionResult, StepCall } from '../../model/index.ts';
import { duration, heartbeat, k8s, params, waitUntil } from './common.ts';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const RESTART_KEY = 'nightshift.dev/restart-key';
const REVISION = 'deployment.kubernetes.io/revision';

const target = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  rolloutTimeout: duration('5m'),
});
const undoSchema = z.object({
  undo: z.object({
    namespace: z.string(),
    deployment: z.string(),
    /** The ReplicaSet whose template the rollback replaced (it keeps that template). */
    replicaSet: z.string(),
    replacedRevision: z.string(),
  }),
});
/** On the Deployment: which step rolled it back, and which ReplicaSet held the template it replaced. */
const ROLLBACK_KEY = 'nightshift.dev/rollback-key';
const ROLLBACK_REPLACED = 'nightshift.dev/rollback-replaced';
const ROLLBACK_REVISION = 'nightshift.dev/rollback-replaced-revision';
const pointer = (annotation: string) => `/metadata/annotations/${annotation.replace(/~/g, '~0').replace(/\//g, '~1')}`;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function rolledOut(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const done =
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want;
  return done ? `${want}/${want} updated and available` : undefined;
}

async function waitRollout(kube: Kube, namespace: string, name: string, timeoutMs: number): Promise<string> {
  const state = await waitUntil(
    `rollout of ${namespace}/${name}`,
    async () => rolledOut(await kube.apps.readNamespacedDeployment({ namespace, name })),
    timeoutMs,
    1000,
  );
  return state ?? `rollout still in progress after ${Math.round(timeoutMs / 1000)} s`;
}

/** The pod template minus what the controller adds (the pod-template-hash label). */
function cleanTemplate(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(t ?? {})) as V1PodTemplateSpec;
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}

/** The undo a rollback by this step left on the Deployment, or undefined. */
function undoOnDeployment(d: V1Deployment, key: string, namespace: string, deployment: string) {
  const notes = d.metadata?.annotations ?? {};
  const replicaSet = notes[ROLLBACK_REPLACED];
  if (notes[ROLLBACK_KEY] !== key || !replicaSet) return undefined;
  return { namespace, deployment, replicaSet, replacedRevision: notes[ROLLBACK_REVISION] ?? '?' };
}

export function createDeploymentActions(kube: () => Kube) {
  return {
    async rolloutRestart(call: StepCall): Promise<ActionResult> {
      const p = params(target, call, 'rollout-restart');
      const k = kube();
      const what = `Deployment ${p.namespace}/${p.deployment}`;
      const d = await k8s(`get deployment ${p.namespace}/${p.deployment}`, () =>
        k.apps.readNamespacedDeployment({ namespace: p.namespace, name: p.deployment }),
      );
      const stamped = d.spec?.template.metadata?.annotations?.[RESTART_KEY] === call.context.key;
      if (call.dryRun)
        return {
          changed: false,
          summary: `would stamp ${what}'s pod template with ${RESTARTED_AT}=<now> and roll out ${d.spec?.replicas ?? 1} pod(s)`,
        };
      if (!stamped) {
        const patch = {
          spec: {
            template: {
              metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString(), [RESTART_KEY]: call.context.key } },
            },
          },
        };
        await k8s(`patch deployment ${p.namespace}/${p.deployment}`, () =>
          k.apps.patchNamespacedDeployment({ namespace: p.namespace, name: p.deployment, body: patch }, merge),
        );
      }
      heartbeat({ restarted: what });
      const state = await waitRollout(k, p.namespace, p.deployment, p.rolloutTimeout);
      return {
        changed: !stamped,
        summary: `${what} ${stamped ? 'was already restarted by this step' : 'restarted'}: ${state}`,
        details: { deployment: what },
      };
    },

    async rollbackDeployment(call: StepCall): Promise<ActionResult> {
      const p = params(target, call, 'rollback-deployment');
      const k = kube();
      const what = `Deployment ${p.namespace}/${p.deployment}`;
      const d = await k8s(`get deployment ${p.namespace}/${p.deployment}`, () =>
        k.apps.readNamespacedDeployment({ namespace: p.namespace, name: p.deployment }),
      );
      // A retry of this step (its first attempt patched, then its answer was lost): the undo is on the Deployment.
      const mine = undoOnDeployment(d, call.context.key, p.namespace, p.deployment);
      if (mine) return { changed: false, summary: `${what} was already rolled back by this step`, undo: mine };
      const current = d.metadata?.annotations?.[REVISION];
      const sets = await k8s(`list replicasets in ${p.namespace}`, () =>
        k.apps.listNamespacedReplicaSet({ namespace: p.namespace }),
      );
      const owned = sets.items
        .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.uid === d.metadata?.uid))
        .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION] ?? 0) }))
        .sort((a, b) => b.revision - a.revision);
      const previous = owned.find((o) => o.revision < Number(current ?? 0));
      const live = owned.find((o) => String(o.revision) === current);
      if (!previous)
        throw failure(
          'Refused',
          `${what} has no earlier revision to roll back to (current revision ${current ?? '?'})`,
        );
      const template = cleanTemplate(previous.rs.spec?.template);
      const same = JSON.stringify(cleanTemplate(d.spec?.template)) === JSON.stringify(template);
      if (same)
        return { changed: false, summary: `${what} already runs the template of revision ${previous.revision}` };
      const images = (t: V1PodTemplateSpec | undefined) =>
        (t?.spec?.containers ?? []).map((c) => `${c.name}=${c.image ?? '?'}`).join(', ');
      if (call.dryRun)
        return {
          changed: false,
          summary: `would replace ${what}'s pod template (revision ${current}: ${images(d.spec?.template)}) with revision ${previous.revision}'s (${images(template)})`,
          details: { fromRevision: current ?? '?', toRevision: String(previous.revision) },
        };
      const replacedSet = live?.rs.metadata?.name;
      if (!replacedSet)
        throw failure(
          'Refused',
          `${what}: no ReplicaSet holds the current template (revision ${current ?? '?'}), so a rollback could not be undone`,
        );
      const notes = {
        [ROLLBACK_KEY]: call.context.key,
        [ROLLBACK_REPLACED]: replacedSet,
        [ROLLBACK_REVISION]: current ?? '?',
      };
      await k8s(`patch deployment ${p.namespace}/${p.deployment}`, () =>
        k.apps.patchNamespacedDeployment(
          {
            namespace: p.namespace,
            name: p.deployment,
            body: [
              { op: 'replace', path: '/spec/template', value: template },
              ...(d.metadata?.annotations
                ? Object.entries(notes).map(([name, value]) => ({ op: 'add', path: pointer(name), value }))
                : [{ op: 'add', path: '/metadata/annotations', value: notes }]),
            ],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      const state = await waitRollout(k, p.namespace, p.deployment, p.rolloutTimeout);
      return {
        changed: true,
        summary: `${what} rolled back from revision ${current} to revision ${previous.revision}'s template (${images(template)}): ${state}`,
        undo: {
          namespace: p.namespace,
          deployment: p.deployment,
          replicaSet: replacedSet,
          replacedRevision: current ?? '?',
        },
      };
    },

    async undoRollbackDeployment(call: StepCall & { undo?: unknown }): Promise<ActionResult> {
      const k = kube();
      const given = undoSchema.safeParse(call).data?.undo;
      // Without the action's result (it failed or was cancelled after patching), the Deployment says whether this step rolled it back.
      const asked = target.safeParse(call.params).data;
      const namespace = given?.namespace ?? asked?.namespace;
      const name = given?.deployment ?? asked?.deployment;
      if (!namespace || !name) return { changed: false, summary: 'rollback-deployment made no change to undo' };
      const d = await k8s(`get deployment ${namespace}/${name}`, () =>
        k.apps.readNamespacedDeployment({ namespace, name }),
      );
      const u = undoOnDeployment(d, call.context.key, namespace, name);
      if (!u)
        return {
          changed: false,
          summary: given
            ? `Deployment ${namespace}/${name} changed since this step rolled it back; left as it is`
            : 'rollback-deployment made no change to undo',
        };
      const rs = await k8s(`get replicaset ${namespace}/${u.replicaSet}`, () =>
        k.apps.readNamespacedReplicaSet({ namespace, name: u.replicaSet }),
      );
      await k8s(`patch deployment ${namespace}/${name}`, () =>
        k.apps.patchNamespacedDeployment(
          {
            namespace,
            name,
            body: [
              { op: 'replace', path: '/spec/template', value: cleanTemplate(rs.spec?.template) },
              ...[ROLLBACK_KEY, ROLLBACK_REPLACED, ROLLBACK_REVISION].map((a) => ({ op: 'remove', path: pointer(a) })),
            ],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      return {
        changed: true,
        summary: `Deployment ${namespace}/${name}: template of revision ${u.replacedRevision} put back (from ReplicaSet ${u.replicaSet})`,
      };
    },
  };
}
