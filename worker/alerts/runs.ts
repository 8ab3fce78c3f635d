// The Temporal side of starting an alert's run (activities/alerts
// AlertRunPort): compile the runbook by name here, on the control worker,
// check the parameters, and start the run with REJECT_DUPLICATE, so a retried
// or repeated start finds the run it already started.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { AlertRunPort } from '../../activities/index.ts';
import { failure } from '../../model/index.ts';
import type { runbookWorkflow } from '../../workflows/index.ts';
import type { Config } from '../config.ts';
import { RunRequestError } from '../runs.ts';
import { alertRunInput, type RunbookSource } from './route.ts';

export function alertRunPort(deps: { client: Client; config: Config; runbooks: RunbookSource }): AlertRunPort {
  return {
    async startRun(request) {
      let input;
      try {
        input = alertRunInput(request, deps.config, deps.runbooks);
      } catch (err) {
        // The runbook or its parameters changed since the gateway routed the alert.
        if (err instanceof RunRequestError) throw failure('InvalidInput', err.message);
        throw err;
      }
      try {
        await deps.client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
          taskQueue: deps.config.temporal.taskQueue,
          workflowId: request.workflowId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { runbook: request.runbook, requestedBy: 'alertmanager', alertname: request.alert.alertname },
        });
        return { started: true, workflowId: request.workflowId };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return { started: false, workflowId: request.workflowId };
        throw err;
      }
    },
  };
}
