// Fault workflows on the real dev server: a control worker (the fault
// workflow plus its control-side activities and any probes) and in-process
// node agents, each on its own node queue, with test-unique names.
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  createFaultControlActivities,
  createNodeAgentActivities,
  type PodLister,
} from '../../../activities/faults/index.ts';
import type { FaultInput, FaultLimits, FaultSpec, faultWorkflow, Requester } from '../../../workflows/index.ts';
import { nodeQueue, type ProtectedPeer } from '../../../model/index.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../../helpers/temporal.ts';

export const LIMITS: FaultLimits = {
  maxDurationMs: 10 * 60_000,
  allowedNamespaces: ['production', 'finance', 'default'],
  maxPods: 10,
};

export interface AgentSpec {
  node: string;
  nodeNetns?: string;
  attachMode?: 'tcx' | 'tc';
  maxTtlMs?: number;
  protectedPeers?: ProtectedPeer[];
}

export interface HarnessOptions {
  agents?: AgentSpec[];
  /** Run a control worker in this process (false: the test runs its own). */
  control?: boolean;
  pods?: PodLister;
  probes?: Record<string, (...args: never[]) => Promise<unknown>>;
}

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  taskQueue: string;
  start(
    spec: FaultSpec,
    options?: { id?: string; dryRun?: boolean; limits?: FaultLimits; requestedBy?: Requester },
  ): Promise<WorkflowHandle<typeof faultWorkflow>>;
  startAgent(agent: AgentSpec): Promise<void>;
  stop(): Promise<void>;
}

export function faultId(prefix = 'ft'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function nodeName(): string {
  return `tn-${randomBytes(3).toString('hex')}`;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const env = await testEnv();
  const taskQueue = uniqueQueue('fault');
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  const launch = (worker: Worker) => {
    workers.push(worker);
    running.push(worker.run());
  };
  if (options.control !== false) {
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities: { ...createFaultControlActivities(options.pods ? { pods: options.pods } : {}), ...options.probes },
      }),
    );
  }
  const startAgent = async (agent: AgentSpec) =>
    launch(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue: nodeQueue(agent.node),
        activities: createNodeAgentActivities(agent),
      }),
    );
  for (const agent of options.agents ?? []) await startAgent(agent);
  return {
    env,
    client: env.client,
    taskQueue,
    startAgent,
    start(spec, opts = {}) {
      const input: FaultInput = {
        spec,
        limits: opts.limits ?? LIMITS,
        dryRun: opts.dryRun ?? false,
        requestedBy: opts.requestedBy ?? { id: 'test', via: 'test' },
      };
      return env.client.workflow.start<typeof faultWorkflow>('faultWorkflow', {
        taskQueue,
        workflowId: opts.id ?? faultId(),
        args: [input],
      });
    },
    async stop() {
      for (const worker of workers) worker.shutdown();
      await Promise.all(running.map((r) => r.catch(() => undefined)));
      await env.teardown();
    },
  };
}

/** Polls until the predicate holds. */
export async function until<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
