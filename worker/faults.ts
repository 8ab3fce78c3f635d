// Fault control from outside Temporal, shared by the CLI and the gateway:
// the running faults, one agent activity on many nodes, and the kill switch.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { faultAbortSignal, faultStatusQuery } from '../workflows/index.ts';
import type { faultNodesWorkflow, FaultNodesRequest, FaultNodesResult, FaultStatus } from '../workflows/index.ts';
import { nodeQueue } from '../model/index.ts';
import type { Config } from './config.ts';

export async function runningFaults(client: Client): Promise<FaultStatus[]> {
  const statuses: FaultStatus[] = [];
  for await (const w of client.workflow.list({
    query: `WorkflowType = 'faultWorkflow' AND ExecutionStatus = 'Running'`,
  })) {
    const status = await client.workflow
      .getHandle(w.workflowId)
      .query(faultStatusQuery)
      .catch(() => undefined);
    if (status) statuses.push(status);
  }
  return statuses;
}

export async function onNodes(client: Client, config: Config, request: FaultNodesRequest): Promise<FaultNodesResult> {
  return client.workflow.execute<typeof faultNodesWorkflow>('faultNodesWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `fault-nodes-${request.action}-${randomBytes(4).toString('hex')}`,
    args: [request],
  });
}

/** Cluster nodes whose agent is polling its queue right now (no KUBECONFIG, or no cluster: none). */
export async function nodesWithAgents(client: Client, config: Config): Promise<string[]> {
  let names: string[];
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const list = await kc.makeApiClient(CoreV1Api).listNode();
    names = list.items.flatMap((n) => (n.metadata?.name ? [n.metadata.name] : []));
  } catch {
    return [];
  }
  const live = await Promise.all(
    names.map(async (node) => {
      const answer = await client.workflowService
        .describeTaskQueue({
          namespace: config.temporal.namespace,
          taskQueue: { name: nodeQueue(node) },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        })
        .catch(() => undefined);
      return (answer?.pollers?.length ?? 0) > 0 ? node : undefined;
    }),
  );
  return live.filter((n): n is string => n !== undefined);
}

export interface StopAllOutcome {
  aborted: string[];
  nodes: FaultNodesResult;
}

/**
 * The kill switch: abort every running fault workflow (each reverts itself),
 * then ask every reachable node agent to remove whatever nightshift attached,
 * in case something outlived its workflow.
 */
export async function stopAllFaults(
  client: Client,
  config: Config,
  request: { by: { id: string; name?: string; via?: string }; reason: string; nodes?: string[] },
): Promise<StopAllOutcome> {
  const faults = await runningFaults(client);
  await Promise.all(
    faults.map((f) =>
      client.workflow
        .getHandle(f.faultId)
        .signal(faultAbortSignal, { reason: request.reason, by: request.by })
        .catch(() => undefined),
    ),
  );
  const nodes = [
    ...new Set([
      ...(request.nodes ?? []),
      ...faults.flatMap((f) => f.undo.map((u) => u.node)),
      ...(await nodesWithAgents(client, config)),
    ]),
  ];
  const result = nodes.length ? await onNodes(client, config, { nodes, action: 'stopAll' }) : {};
  return { aborted: faults.map((f) => f.faultId), nodes: result };
}
