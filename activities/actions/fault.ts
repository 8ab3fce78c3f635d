// stop-fault: send the fault workflow (its id is the fault id) its `abort`
// signal; the workflow reverts in a non-cancellable scope. Idempotent: a
// fault that already ended is left alone. Nothing to undo.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { failure } from '../../model/index.ts';
import { activityClient } from '../collectors/faults/collector.ts';
import type { ActionResult, StepCall } from '../../model/index.ts';
import { params } from './common.ts';

/** The fault workflow's abort signal name (workflows/fault/messages.ts faultAbortSignal). */
export const FAULT_ABORT_SIGNAL = 'abort';

const stopParams = z.object({
  faultId: z.string().min(1),
  reason: z.string().default('stopped by a runbook remediation'),
});

export function createFaultActions(client: Client | undefined) {
  return {
    async stopFault(call: StepCall): Promise<ActionResult> {
      const p = params(stopParams, call, 'stop-fault');
      const c = activityClient(client);
      if (!c) throw failure('Unsupported', 'stop-fault: no Temporal client in this context');
      const handle = c.workflow.getHandle(p.faultId);
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (err) {
        if ((err as { name?: string }).name === 'WorkflowNotFoundError')
          throw failure('NotFound', `stop-fault: no fault ${p.faultId}`);
        throw err;
      }
      if (status !== 'RUNNING')
        return { changed: false, summary: `fault ${p.faultId} already ended (${status.toLowerCase()})` };
      if (call.dryRun)
        return {
          changed: false,
          summary: `would signal "${FAULT_ABORT_SIGNAL}" to fault ${p.faultId}: it reverts and ends`,
        };
      await handle.signal(FAULT_ABORT_SIGNAL, {
        reason: p.reason,
        by: { id: 'nightshift', name: `runbook ${call.context.runbook}`, via: 'runbook' },
      });
      return {
        changed: true,
        summary: `fault ${p.faultId} told to abort (it reverts its programs and ends)`,
        details: { faultId: p.faultId, run: call.context.workflowId },
      };
    },
  };
}
