// Deployment actions. rollout-restart: stamp the pod template (as `kubectl
// rollout restart` does) with this step's key, so a retry finds its own stamp
// and changes nothing, then wait for the rollout. rollback-deployment: put
// back the pod template of the previous revision's ReplicaSet; its undo
// re-applies the template it replaced.
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
  undo: z.object({ namespace: z.string(), deployment: z.string(), template: z.string(), replacedRevision: z.string() }),
});
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
      const current = d.metadata?.annotations?.[REVISION];
      const sets = await k8s(`list replicasets in ${p.namespace}`, () =>
        k.apps.listNamespacedReplicaSet({ namespace: p.namespace }),
      );
      const owned = sets.items
        .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.uid === d.metadata?.uid))
        .map((rs) => ({ rs, revision: Number(rs.metadata?.annotations?.[REVISION] ?? 0) }))
        .sort((a, b) => b.revision - a.revision);
      const previous = owned.find((o) => o.revision < Number(current ?? 0));
      if (!previous)
        throw failure(
          'Refused',
          `${what} has no earlier revision to roll back to (current revision ${current ?? '?'})`,
        );
      const template = cleanTemplate(previous.rs.spec?.template);
      const same = JSON.stringify(cleanTemplate(d.spec?.template)) === JSON.stringify(template);
      if (same)
        return { changed: false, summary: `${what} already runs the template of revision ${previous.revision}` };
      if (call.dryRun)
        return {
          changed: false,
          summary: `would replace ${what}'s pod template (revision ${current}) with revision ${previous.revision}'s`,
          details: { template },
        };
      await k8s(`patch deployment ${p.namespace}/${p.deployment}`, () =>
        k.apps.patchNamespacedDeployment(
          {
            namespace: p.namespace,
            name: p.deployment,
            body: [{ op: 'replace', path: '/spec/template', value: template }],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      const state = await waitRollout(k, p.namespace, p.deployment, p.rolloutTimeout);
      return {
        changed: true,
        summary: `${what} rolled back from revision ${current} to revision ${previous.revision}'s template: ${state}`,
        undo: {
          namespace: p.namespace,
          deployment: p.deployment,
          template: JSON.stringify(cleanTemplate(d.spec?.template)),
          replacedRevision: current ?? '?',
        },
      };
    },

    async undoRollbackDeployment(call: StepCall & { undo?: unknown }): Promise<ActionResult> {
      const parsed = undoSchema.safeParse(call);
      if (!parsed.success) return { changed: false, summary: 'rollback-deployment made no change to undo' };
      const u = parsed.data.undo;
      const k = kube();
      const template: unknown = JSON.parse(u.template);
      await k8s(`patch deployment ${u.namespace}/${u.deployment}`, () =>
        k.apps.patchNamespacedDeployment(
          {
            namespace: u.namespace,
            name: u.deployment,
            body: [{ op: 'replace', path: '/spec/template', value: template }],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      return {
        changed: true,
        summary: `Deployment ${u.namespace}/${u.deployment}: template of revision ${u.replacedRevision} put back`,
      };
    },
  };
}
