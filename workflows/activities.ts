// The one way workflows reach activities: proxies typed from the activities'
// own factories (types only, so nothing of activities/ enters the sandbox),
// made here with the named presets of presets.ts.
import * as wf from '@temporalio/workflow';
import type { AgentActivities, ControlActivities } from '../activities/index.ts';
import { nodeQueue, type StepCall } from '../model/index.ts';
import type { ActivityRef } from '../runbooks/index.ts';

/** The control worker's activities (task queue of the workflow), with these options. */
export function controlActivities(options: wf.ActivityOptions): ControlActivities {
  return wf.proxyActivities<ControlActivities>(options);
}

/** The node agent's activities on `node` (its own task queue): faults and vantage measurements. */
export function nodeAgent(node: string, options: wf.ActivityOptions): AgentActivities {
  return wf.proxyActivities<AgentActivities>({ ...options, taskQueue: nodeQueue(node) });
}

/**
 * An activity a compiled runbook or a fault spec names: a collector, action,
 * undo or probe that validation resolved through the catalogue. Node-queue
 * activities run on the agent of the node their call names.
 */
export function catalogueActivity<R = unknown, A = StepCall>(
  ref: Pick<ActivityRef, 'name' | 'activity' | 'queue'>,
  options: wf.ActivityOptions,
  node?: unknown,
): (arg: A) => Promise<R> {
  if (ref.queue === 'node' && typeof node !== 'string') {
    throw wf.ApplicationFailure.nonRetryable(
      `${ref.name} runs on a node agent and needs a "node" parameter`,
      'InvalidInput',
    );
  }
  const stubs = wf.proxyActivities<Record<string, (arg: A) => Promise<R>>>({
    ...options,
    ...(ref.queue === 'node' ? { taskQueue: nodeQueue(node as string) } : {}),
  });
  return stubs[ref.activity] as (arg: A) => Promise<R>;
}
