// Activity stubs the fault workflows use: the node agent on each node's own
// queue, the control worker's resolver, and probe activities by name.
import * as wf from '@temporalio/workflow';
import type { FaultControlActivities, NodeAgentActivities } from '../../activities/faults/index.ts';
import type { StepCall } from '../../model/index.ts';
import { presets } from '../presets.ts';
import { nodeQueue } from '../../model/index.ts';

export const control = wf.proxyActivities<FaultControlActivities>(presets.short);

/** The agent on `node`; kernel changes are quick and idempotent. */
export function agent(node: string): NodeAgentActivities {
  return wf.proxyActivities<NodeAgentActivities>({ ...presets.kernel, taskQueue: nodeQueue(node) });
}

/** Revert outlasts an agent restart: more attempts, longer waits for a poller. */
export function revertingAgent(node: string): NodeAgentActivities {
  return wf.proxyActivities<NodeAgentActivities>({
    ...presets.kernel,
    scheduleToStartTimeout: '2m',
    retry: { ...presets.kernel.retry, maximumAttempts: 10 },
    taskQueue: nodeQueue(node),
  });
}

/** A stop-condition probe: one attempt per check, its failure ends the fault. */
export function probe(name: string, everyMs: number): (call: StepCall) => Promise<unknown> {
  const timeout = Math.max(1000, Math.min(everyMs, 30_000));
  const stubs = wf.proxyActivities<Record<string, (call: StepCall) => Promise<unknown>>>({
    startToCloseTimeout: timeout,
    scheduleToCloseTimeout: timeout * 2,
    retry: { maximumAttempts: 1 },
  });
  const fn = stubs[name];
  if (!fn) throw wf.ApplicationFailure.nonRetryable(`no probe activity ${name}`, 'InvalidInput');
  return fn;
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
