// The runbook interpreter: runs a compiled runbook's steps in order, answers
// status queries, takes decisions as validated Updates, and on abort or
// cancellation runs every registered undo in a non-cancellable scope.
import * as wf from '@temporalio/workflow';

import { evaluate } from '../../runbooks/index.ts';
import { catalogueActivity, controlActivities } from '../activities.ts';
import { presets } from '../presets.ts';
import { abortSignal, alertSignal, decideUpdate, statusQuery, type RunbookInput } from './messages.ts';
import { type RunStatus } from '../../model/index.ts';
import { Run } from './state.ts';
import { runStep } from './steps.ts';
import { twoPeopleStage } from './four-eyes.ts';

const { publishRun } = controlActivities({ ...presets.short, retry: { ...presets.short.retry, maximumAttempts: 3 } });
const { writeRunReport } = controlActivities(presets.short);

/** Marks histories whose steps start without waiting for the thread to hear of them. */
export const PUBLISH_BEHIND_PATCH = 'publish-behind';

/** Marks histories whose runs end with the closing report (older ones replay without it). */
export const CLOSING_REPORT_PATCH = 'closing-report';

export async function runbookWorkflow(input: RunbookInput): Promise<RunStatus> {
  const run = new Run(input, new Date());
  const steps = new wf.CancellationScope();

  wf.setHandler(statusQuery, () => run.status);
  wf.setHandler(
    decideUpdate,
    (request) => {
      const record = {
        step: request.step ?? run.status.pendingDecision?.step ?? '',
        option: request.option,
        by: {
          id: request.by.id,
          ...(request.by.name ? { name: request.by.name } : {}),
          ...(request.by.via ? { via: request.by.via } : {}),
        },
        at: new Date().toISOString(),
        auto: false,
        ...(request.comment ? { comment: request.comment } : {}),
      };
      // Only decisions opened with four eyes per option (patched) can be two-people ones.
      const pending = run.status.pendingDecision;
      const stage = pending ? twoPeopleStage(pending, request) : undefined;
      if (stage === 'first') {
        run.approveFirst({ option: record.option, by: record.by, at: record.at });
        return run.published().then(() => ({ ...record, awaitingSecond: true }));
      }
      const first = stage === 'second' ? pending?.firstApproval?.by : undefined;
      return run.decide({ ...record, ...(first ? { firstBy: first } : {}) });
    },
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

  let failure: unknown;
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
      failure = cancelled
        ? err
        : wf.ApplicationFailure.nonRetryable(
            `runbook ${input.runbook.name} failed: ${reason}`,
            'RunbookFailed',
            run.status,
          );
    }
  }
  await wf.CancellationScope.nonCancellable(async () => {
    await run.published();
    // The run's last durable step, however it ended: its report, in its thread.
    if (wf.patched(CLOSING_REPORT_PATCH)) await closeWithReport(run, input);
  });
  if (failure) throw failure;
  await wf.condition(wf.allHandlersFinished);
  return run.status;
}

/** Write the report and attach it to the run's thread; a failure is recorded, never the run's end. */
async function closeWithReport(run: Run, input: RunbookInput): Promise<void> {
  try {
    const report = await writeRunReport({
      runId: wf.workflowInfo().workflowId,
      status: run.status,
      ...(input.notify ? { channel: input.notify.channel } : {}),
    });
    run.setReport({ markdown: report.markdown, html: report.html, attached: report.attached });
  } catch (err) {
    run.setReport({ error: errorMessage(err) });
    wf.log.warn('could not write the run report', { error: errorMessage(err) });
  }
}

async function runSteps(run: Run): Promise<void> {
  for (const step of run.input.runbook.steps) {
    if (step.when && !evaluate(step.when, run.scope())) {
      run.skip(step, new Date());
      continue;
    }
    run.begin(step, new Date());
    // The thread hears of the step while it runs: a slow chat API never delays the evidence (patched).
    if (wf.patched(PUBLISH_BEHIND_PATCH)) run.publishBehind();
    else await run.published();
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
      const ref = { name: undo.activity, activity: undo.activity, queue: undo.queue };
      await catalogueActivity<unknown, unknown>(ref, presets.short, node)(undo.args[0]);
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
