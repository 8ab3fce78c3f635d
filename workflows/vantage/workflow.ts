// Measurements from where the pods are: each job runs on the agent of its
// node, all at once, each with one attempt. An agent that does not pick its
// job up within `pickupMs` is reported absent; one that fails or overruns is
// reported so. One node's answer never waits on, or hides, another's.
import * as wf from '@temporalio/workflow';
import { TimeoutFailure, TimeoutType } from '@temporalio/common';
import {
  nodeQueue,
  type ConnectResult,
  type PodDnsResult,
  type VantageJob,
  type VantageOutcome,
  type VantageRequest,
} from '../../model/index.ts';
import { nodeAgent } from '../activities.ts';
import { vantageOptions } from '../presets.ts';

type Answer = PodDnsResult | ConnectResult;

export async function vantageWorkflow(request: VantageRequest): Promise<VantageOutcome[]> {
  return Promise.all(
    request.jobs.map(async (job): Promise<VantageOutcome> => {
      const agent = nodeAgent(job.node, vantageOptions(request.pickupMs, request.runMs));
      // The job's activity and request belong together (VantageJob is a union over both).
      const measure = agent[job.activity] as (input: VantageJob['request']) => Promise<Answer>;
      try {
        return { node: job.node, ok: true, result: await measure(job.request) };
      } catch (err) {
        return { node: job.node, ok: false, ...why(err, job, request) };
      }
    }),
  );
}

function why(
  err: unknown,
  job: VantageJob,
  request: VantageRequest,
): { reason: 'no-agent' | 'timeout' | 'failed'; error: string } {
  const cause = err instanceof wf.ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START)
    return {
      reason: 'no-agent',
      error: `nothing picked up ${job.activity} on ${nodeQueue(job.node)} within ${request.pickupMs} ms`,
    };
  if (cause instanceof TimeoutFailure)
    return { reason: 'timeout', error: `${job.activity} on ${job.node} did not finish within ${request.runMs} ms` };
  return { reason: 'failed', error: cause instanceof Error ? cause.message : String(cause) };
}
