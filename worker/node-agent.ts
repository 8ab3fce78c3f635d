// The node agent: a Temporal worker on `nightshift-node-<node>` running the
// fault activities (inject, revert, counters, list, capabilities, stopAll),
// and a reconciler on start and every 30 s that removes any attachment whose
// deadline passed or whose fault workflow is no longer running.
//
// Lab nodes are network namespaces: NIGHTSHIFT_NODE_NETNS names the node's,
// and the agent reaches it with nsenter. Start the agent in the host's mount
// namespace (never under `ip netns exec`, which hides bpffs).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { createNodeAgentActivities, reconcile, type ReconcileReport } from '../activities/index.ts';
import { ensureBpffs } from '../bpf/index.ts';
import { nodeQueue } from '../model/index.ts';
import type { Config } from './config.ts';
import { installRuntime } from './runtime.ts';
import { connectClient, connectWorker } from './temporal.ts';

export const RECONCILE_EVERY_MS = 30_000;

export interface NodeAgentOptions {
  config: Config;
  node: string;
  nodeNetns?: string;
  log: Pino;
  reconcileEveryMs?: number;
  attachMode?: 'tcx' | 'tc';
}

export interface NodeAgent {
  taskQueue: string;
  /** Reconciles now (also runs on start and on a timer). */
  reconcile(): Promise<ReconcileReport>;
  stop(): Promise<void>;
  /** Settles when the worker stops. */
  done: Promise<void>;
}

/** Whether the fault's workflow (id = fault id) still runs; undefined when Temporal cannot say. */
export function faultActiveIn(client: Client) {
  return async (faultId: string): Promise<boolean | undefined> => {
    try {
      const description = await client.workflow.getHandle(faultId).describe();
      return description.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      return undefined;
    }
  };
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { config, node, log } = options;
  installRuntime(log);
  await ensureBpffs();
  const taskQueue = nodeQueue(node);
  let connection: NativeConnection | undefined;
  let client: Client | undefined;
  try {
    // The native connection first: if it fails, the Temporal runtime shuts itself down
    // instead of keeping the process alive.
    connection = await connectWorker(config);
    client = await connectClient(config);
    const faultActive = faultActiveIn(client);
    const reconcileNow = async () => {
      const report = await reconcile({ node, faultActive, log });
      if (report.removed.length > 0) log.info({ report }, 'reconciled fault attachments');
      return report;
    };
    await reconcileNow();
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      activities: createNodeAgentActivities({
        node,
        ...(options.nodeNetns ? { nodeNetns: options.nodeNetns } : {}),
        ...(options.attachMode ? { attachMode: options.attachMode } : {}),
      }),
      maxConcurrentActivityTaskExecutions: 20,
      shutdownGraceTime: '5s',
    });
    const done = worker.run();
    let reconciling: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      reconciling ??= reconcileNow()
        .catch((err: unknown) => log.warn({ err }, 'reconcile failed'))
        .finally(() => (reconciling = undefined));
    }, options.reconcileEveryMs ?? RECONCILE_EVERY_MS);
    log.info({ node, taskQueue, nodeNetns: options.nodeNetns }, 'node agent running');
    const openClient = client;
    const openConnection = connection;
    return {
      taskQueue,
      reconcile: reconcileNow,
      done,
      async stop() {
        clearInterval(timer);
        if (worker.getState() === 'RUNNING') worker.shutdown(); // SIGINT/SIGTERM already started it
        await done.catch((err: unknown) => log.error({ err }, 'node agent worker stopped with an error'));
        await reconciling;
        await openClient.connection.close();
        await openConnection.close();
      },
    };
  } catch (err) {
    await client?.connection.close();
    await connection?.close();
    throw err;
  }
}
