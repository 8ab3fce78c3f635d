// cordon-node: mark a node unschedulable, and say so on the node (who and
// which step), so the undo only uncordons a node nightshift cordoned — and
// finds it by the step's key even when the action's result was lost.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Kube } from '../collectors/kubernetes/client.ts';
import type { ActionResult, StepCall } from '../../model/index.ts';
import { k8s, params } from './common.ts';

const CORDONED_BY = 'nightshift.dev/cordoned-by';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const cordonParams = z.object({ node: z.string().min(1) });
const undoSchema = z.object({ undo: z.object({ node: z.string(), key: z.string() }) });

export function createNodeActions(kube: () => Kube) {
  return {
    async cordonNode(call: StepCall): Promise<ActionResult> {
      const { node } = params(cordonParams, call, 'cordon-node');
      const k = kube();
      const current = await k8s(`get node ${node}`, () => k.core.readNode({ name: node }));
      const ours = current.metadata?.annotations?.[CORDONED_BY] === call.context.key;
      if (current.spec?.unschedulable) {
        // Already cordoned: by this step (a retry) we still own the undo; by someone else we do not.
        return ours
          ? {
              changed: false,
              summary: `node ${node} is already cordoned by this step`,
              undo: { node, key: call.context.key },
            }
          : { changed: false, summary: `node ${node} was already cordoned (not by nightshift); left as it is` };
      }
      if (call.dryRun) return { changed: false, summary: `would set spec.unschedulable=true on node ${node}` };
      const patch = { metadata: { annotations: { [CORDONED_BY]: call.context.key } }, spec: { unschedulable: true } };
      await k8s(`patch node ${node}`, () => k.core.patchNode({ name: node, body: patch }, merge));
      return {
        changed: true,
        summary: `node ${node} cordoned: no new pods will be scheduled there`,
        undo: { node, key: call.context.key },
      };
    },

    async uncordonNode(call: StepCall & { undo?: unknown }): Promise<ActionResult> {
      // Without the action's result (it failed or was cancelled after patching), the node says whether this step cordoned it.
      const target = undoSchema.safeParse(call).data?.undo ?? {
        node: cordonParams.safeParse(call.params).data?.node,
        key: call.context.key,
      };
      if (!target.node) return { changed: false, summary: 'cordon-node made no change to undo' };
      const { node, key } = target;
      const k = kube();
      const current = await k8s(`get node ${node}`, () => k.core.readNode({ name: node }));
      if (current.metadata?.annotations?.[CORDONED_BY] !== key)
        return { changed: false, summary: `node ${node} was not cordoned by this run; left as it is` };
      const patch = { metadata: { annotations: { [CORDONED_BY]: null } }, spec: { unschedulable: null } };
      await k8s(`patch node ${node}`, () => k.core.patchNode({ name: node, body: patch }, merge));
      return { changed: true, summary: `node ${node} uncordoned` };
    },
  };
}
