// The runbook interpreter: runs a compiled runbook's steps in order, answers
// status queries, takes decisions as validated Updates, and on abort or
// cancellation runs every registered undo in a non-cancellable scope.
import * as wf from '@temporalio/workflow';

import { evaluate } from '../../runbooks/expressions.ts';
import { presets } from '../presets.ts';
import { abortSignal, alertSignal, decideUpdate, statusQuery, type RunbookInput } from './messages.ts';
import { type RunStatus } from '../../model/index.ts';
import { Run } from './state.ts';
import { runStep } from './steps.ts';
import { nodeQueue } from '../../model/index.ts';

const { publishRun } = wf.proxyActivities<{ publishRun(arg: { channel: string; key: string; status: RunStatus }): Promise<unknown> }>(
  { ...presets.short, retry: { ...presets.short.retry, maximumAttempts: 3 } },
);

export async function runbookWorkflow(input: RunbookInput): Promise<RunStatus> {
  const run = new Run(input, new Date());
  const steps = new wf.CancellationScope();

  wf.setHandler(statusQuery, () => run.status);
  wf.setHandler(
    decideUpdate,
    (request) =>
      run.decide({
        step: request.step ?? run.status.pendingDecision?.step ?? '',
        option: request.option,
        by: { id: request.by.id, ...(request.by.name ? { name: request.by.name } : {}), ...(request.by.via ? { via: request.by.via } : {}) },
        at: new Date().toISOString(),
        auto: false,
        ...(request.comment ? { comment: request.comment } : {}),
      }),
    {
      validator: (request) => {
        const reason = run.refuse(request);
        if (reason) throw wf.ApplicationFailure.nonRetryable(reason, 'DecisionRefused');
      },
    },
  );
  wf.setHandler(abortSignal, (request) => {
    run.requestAbort(request);
    if (run.aborted) steps.cancel();
  });
  wf.setHandler(alertSignal, async (notice) => {
    run.noteAlert(notice, new Date());
    // Someone is being asked to act on an alert that has gone away: say so.
    if (notice.status === 'resolved' && run.status.pendingDecision) await run.published();
  });

  if (input.notify) {
    const channel = input.notify.channel;
    const key = wf.workflowInfo().workflowId;
    run.setPublisher(async () => {
      try {
        await publishRun({ channel, key, status: run.status });
      } catch (err) {
        if (wf.isCancellation(err)) throw err;
        wf.log.warn('could not publish run progress', { error: (err as Error).message });
      }
    });
  }

  try {
    await steps.run(() => runSteps(run));
    run.finish('completed', new Date());
  } catch (err) {
    const cancelled = wf.isCancellation(err);
    await wf.CancellationScope.nonCancellable(() => compensate(run));
    if (cancelled && run.aborted) {
      run.finish('aborted', new Date());
    } else {
      const reason = cancelled ? 'cancelled' : errorMessage(err);
      run.finish(cancelled ? 'cancelled' : 'failed', new Date(), reason);
      await wf.CancellationScope.nonCancellable(() => run.published());
      if (cancelled) throw err;
      throw wf.ApplicationFailure.nonRetryable(`runbook ${input.runbook.name} failed: ${reason}`, 'RunbookFailed', run.status);
    }
  }
  await wf.CancellationScope.nonCancellable(() => run.published());
  await wf.condition(wf.allHandlersFinished);
  return run.status;
}

async function runSteps(run: Run): Promise<void> {
  for (const step of run.input.runbook.steps) {
    if (step.when && !evaluate(step.when, run.scope())) {
      run.skip(step, new Date());
      continue;
    }
    run.begin(step, new Date());
    await run.published();
    try {
      const result = await runStep(step, run);
      run.complete(step, result, new Date());
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      run.fail(step, errorMessage(err), new Date());
      // Telling people is best effort: a chat outage must not fail a run whose work is done.
      if (step.kind === 'notify') continue;
      throw err;
    }
  }
}

/** Undo what this run changed, newest first; every undo is attempted even if one fails. */
async function compensate(run: Run): Promise<void> {
  for (let i = run.undo.length - 1; i >= 0; i--) {
    const undo = run.undo[i];
    const record = run.status.compensations[i];
    if (!undo || !record) continue;
    try {
      const node = (undo.args[0] as { params?: { node?: unknown } } | undefined)?.params?.node;
      const activities = wf.proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({
        ...presets.short,
        ...(undo.queue === 'node' && typeof node === 'string' ? { taskQueue: nodeQueue(node) } : {}),
      });
      await (activities[undo.activity] as (...args: unknown[]) => Promise<unknown>)(...undo.args);
      record.status = 'done';
    } catch (err) {
      record.status = 'failed';
      record.error = errorMessage(err);
      wf.log.error('compensation failed', { step: undo.step, activity: undo.activity, error: record.error });
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
