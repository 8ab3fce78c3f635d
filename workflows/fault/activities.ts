// Activity stubs the fault workflows use: the node agent on each node's own
// queue, the control worker's resolver, and probe activities by name.
import * as wf from '@temporalio/workflow';
import type { StepCall } from '../../model/index.ts';
import { catalogueActivity, controlActivities, nodeAgent } from '../activities.ts';
import { presets } from '../presets.ts';

export const control = controlActivities(presets.short);

/** The agent on `node`; kernel changes are quick and idempotent. */
export function agent(node: string) {
  return nodeAgent(node, presets.kernel);
}

/** Revert outlasts an agent restart: more attempts, longer waits for a poller. */
export function revertingAgent(node: string) {
  return nodeAgent(node, {
    ...presets.kernel,
    scheduleToStartTimeout: '2m',
    retry: { ...presets.kernel.retry, maximumAttempts: 10 },
  });
}

/** A stop-condition probe (a catalogue probe's activity): one attempt per check, its failure ends the fault. */
export function probe(name: string, activity: string, everyMs: number): (call: StepCall) => Promise<unknown> {
  const timeout = Math.max(1000, Math.min(everyMs, 30_000));
  return catalogueActivity(
    { name, activity, queue: 'control' },
    {
      startToCloseTimeout: timeout,
      scheduleToCloseTimeout: timeout * 2,
      retry: { maximumAttempts: 1 },
    },
  );
}

export function errorMessage(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The error type an activity failed with, so the workflow can fail the same way. */
export function errorType(err: unknown): string | undefined {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  return cause instanceof wf.ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
