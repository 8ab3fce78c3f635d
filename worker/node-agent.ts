// The node agent: a Temporal worker on `nightshift-node-<node>` running the
// fault activities (inject, revert, counters, list, capabilities, stopAll)
// and the vantage activities (dnsFromPod, connectFromPod, connectFromNode:
// measurements from inside this node's pods and from the node itself),
// and a reconciler on start and every 30 s that removes any attachment whose
// deadline passed or whose fault workflow is no longer running. Its own
// limits come from its own config: the longest fault (faults.maxDuration)
// and the peers no fault may match (protectedPeers below). Its kill switch
// (killSwitch(), SIGUSR1 in `nightshift agent`) needs no Temporal.
//
// Lab nodes are network namespaces: NIGHTSHIFT_NODE_NETNS names the node's,
// and the agent reaches it with nsenter. Start the agent in the host's mount
// namespace (never under `ip netns exec`, which hides bpffs).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createAgentActivities,
  Measurers,
  reconcile,
  resolveProtected,
  stopAllLocal,
  type ReconcileReport,
} from '../activities/index.ts';
import { ensureBpffs } from '../bpf/index.ts';
import { nodeQueue, parseDuration, type ProtectedPeer, type StopAllResult } from '../model/index.ts';
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
  /** What this agent keeps every fault away from. */
  protectedPeers: ProtectedPeer[];
  /**
   * The local kill switch: removes every attachment on this node now, without
   * Temporal, and refuses injects until the agent is restarted.
   */
  killSwitch(reason: string): Promise<StopAllResult>;
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

/** Endpoints of this node's control plane, from the agent's config and environment. */
export function controlPlaneEndpoints(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): { what: string; endpoint: string; defaultPort?: number }[] {
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  const endpoints: { what: string; endpoint: string; defaultPort?: number }[] = [
    { what: 'Temporal frontend', endpoint: config.temporal.address },
  ];
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const server = kc.getCurrentCluster()?.server;
    if (server) endpoints.push({ what: 'API server', endpoint: server });
  } catch {
    // no kubeconfig: no API server to protect
  }
  // In a pod: the kubernetes Service's host and port, as in-cluster config dials it. The port
  // matters where that host serves more than the API (the lab's host address serves its gateway too).
  if (env.KUBERNETES_SERVICE_HOST) {
    endpoints.push({
      what: 'API server',
      endpoint: env.KUBERNETES_SERVICE_HOST,
      defaultPort: Number(env.KUBERNETES_SERVICE_PORT) || 443,
    });
  }
  for (const e of list(env.NIGHTSHIFT_ETCD_ENDPOINTS)) endpoints.push({ what: 'etcd', endpoint: e });
  for (const e of list(env.NIGHTSHIFT_CLUSTER_DNS))
    endpoints.push({ what: 'cluster DNS', endpoint: e, defaultPort: 53 });
  for (const entry of config.faults.protectedPeers) {
    const at = entry.indexOf('=');
    endpoints.push(
      at > 0 ? { what: entry.slice(0, at), endpoint: entry.slice(at + 1) } : { what: 'configured', endpoint: entry },
    );
  }
  return endpoints;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { config, node, log } = options;
  installRuntime(log, config.metrics.address);
  await ensureBpffs();
  const protectedPeers = await resolveProtected(controlPlaneEndpoints(config));
  const maxTtlMs = parseDuration(config.faults.maxDuration) ?? 30 * 60_000;
  let halted: string | undefined;
  const taskQueue = nodeQueue(node);
  let connection: NativeConnection | undefined;
  let client: Client | undefined;
  // Helpers inside the namespaces this agent measures from (pods, the lab node's own).
  const measurers = new Measurers();
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
      activities: createAgentActivities({
        node,
        maxTtlMs,
        protectedPeers,
        halted: () => halted,
        measurers,
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
    log.info({ node, taskQueue, nodeNetns: options.nodeNetns, protectedPeers, maxTtlMs }, 'node agent running');
    const openClient = client;
    const openConnection = connection;
    return {
      taskQueue,
      protectedPeers,
      async killSwitch(reason) {
        halted = `the kill switch was pulled on node ${node} at ${new Date().toISOString()} (${reason})`;
        const result = await stopAllLocal(node);
        log.warn({ node, reason, reverted: result.reverted.length }, 'kill switch: every fault on this node removed');
        return result;
      },
      reconcile: reconcileNow,
      done,
      async stop() {
        clearInterval(timer);
        if (worker.getState() === 'RUNNING') worker.shutdown(); // SIGINT/SIGTERM already started it
        await done.catch((err: unknown) => log.error({ err }, 'node agent worker stopped with an error'));
        await reconciling;
        await measurers.close();
        await openClient.connection.close();
        await openConnection.close();
      },
    };
  } catch (err) {
    await measurers.close();
    await client?.connection.close();
    await connection?.close();
    throw err;
  }
}
