// How a collector on the control worker reaches the node agents: it starts
// `vantageWorkflow` through its Temporal client on its own task queue, and
// the workflow runs each job on the agent of its node, all at once. The
// worker never measures from a pod or a node itself.
//
// A node whose agent is down is told by its job not being picked up within
// the pickup time (schedule-to-start). The task queue's poller list is not
// asked first: it describes one partition of the queue and lags behind an
// agent that just started or just died, so it would name live agents absent.
// Whatever happens, the answer comes by the collector's deadline, one
// outcome per job.
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { VANTAGE_WORKFLOW, type VantageJob, type VantageOutcome, type VantageRequest } from '../../model/index.ts';
import { activityClient } from './faults/collector.ts';
import { errorText, within } from './result.ts';

/** Longest an agent may take to pick a job up before it counts as absent. */
export const PICKUP_MS = 1500;
/** Kept back from the deadline for the workflow to finish and its result to come back. */
const RETURN_MS = 250;

export interface AgentFanout {
  /** Each job on its node's agent; one outcome per job, in order, by `deadline` (epoch ms). */
  run(jobs: VantageJob[], deadline: number): Promise<VantageOutcome[]>;
}

export class FanoutUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FanoutUnavailable';
  }
}

export interface FanoutOptions {
  /** The Temporal client; else the worker's own, from the activity context. */
  client?: Client;
  /** The control worker's task queue (it runs vantageWorkflow); else the calling activity's. */
  taskQueue?: string;
}

function fromContext(): { taskQueue: string; id: string } | undefined {
  try {
    const info = Context.current().info;
    return {
      taskQueue: info.taskQueue,
      id: `${info.workflowExecution?.workflowId ?? 'activity'}-${info.activityType}-${info.activityId}-${info.attempt}`,
    };
  } catch {
    return undefined;
  }
}

export function temporalFanout(options: FanoutOptions = {}): AgentFanout {
  return {
    async run(jobs, deadline) {
      if (jobs.length === 0) return [];
      const client = activityClient(options.client);
      const context = fromContext();
      const taskQueue = options.taskQueue ?? context?.taskQueue;
      if (!client || !taskQueue)
        throw new FanoutUnavailable('no Temporal client or task queue here, so the node agents cannot be asked');
      const runMs = Math.max(500, deadline - Date.now() - RETURN_MS);
      const request: VantageRequest = { jobs, pickupMs: Math.min(PICKUP_MS, runMs), runMs };
      const absent = (why: string): VantageOutcome[] =>
        jobs.map((j) => ({ node: j.node, ok: false, reason: 'timeout', error: why }));
      const answers = client.workflow
        .execute(VANTAGE_WORKFLOW, {
          taskQueue,
          workflowId: `vantage-${context?.id ?? randomBytes(6).toString('hex')}`,
          args: [request],
          workflowExecutionTimeout: Math.max(1000, deadline - Date.now()),
        })
        .then(
          (outcomes: VantageOutcome[]) => outcomes,
          (err: unknown) => absent(`the fan-out to the agents failed: ${errorText(err)}`),
        );
      return within(answers, deadline - Date.now(), () =>
        absent("no answer from the agents by the collector's deadline"),
      );
    },
  };
}
