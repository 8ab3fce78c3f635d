// The `node-network` collector: TCP connect latency and loss between the
// nodes the affected pods run on, measured from inside each node's network
// namespace (the lab's nodes carry it as an annotation). A refused connect
// still proves the path; only silence counts as loss.
import type { V1Node } from '@kubernetes/client-node';
import { z } from 'zod';
import { parseDuration } from '../../../model/index.ts';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { resolveKube, type KubeSource } from '../kubernetes/collector.ts';
import { NETNS_ANNOTATION } from '../kubernetes/inventory.ts';
import { netnsExists, tcpFrom } from '../netns/run.ts';
import { listParam, optionalText } from '../params.ts';
import { budget, collect, errorText, within } from '../result.ts';
import { assessPairs, type PairStats } from './pairs.ts';

export interface NodeNetworkEvidence {
  nodes: { name: string; ip?: string; netns?: string }[];
  pairs: PairStats[];
  port: number;
  attempts: number;
  timeoutMs: number;
}

/** Time the measuring helper keeps after its last attempt, to print its samples and exit. */
const HELPER_EXIT_MS = 400;

const paramsSchema = z.object({
  namespace: optionalText,
  selector: optionalText,
  nodes: listParam,
  port: z.number().int().min(1).max(65535).default(10250),
  attempts: z.number().int().min(1).max(100).default(10),
  timeout: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "500ms"')
    .default('500ms'),
  interval: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "50ms"')
    .default('50ms'),
  /** Loss ratio on a pair that counts as a finding. */
  lossThreshold: z.number().min(0).max(1).default(0.1),
  slowMs: z.number().positive().default(50),
});

export function createNodeNetworkCollector(source: KubeSource | undefined) {
  return async function collectNodeNetwork(call: StepCall): Promise<CollectorResult<NodeNetworkEvidence>> {
    const time = budget(8000);
    return collect<NodeNetworkEvidence>('node-network', async (findings) => {
      const parsed = paramsSchema.safeParse(call.params);
      if (!parsed.success) {
        findings.add(
          'node-network.unavailable',
          'warning',
          `node-network collector: bad params: ${z.prettifyError(parsed.error)}`,
        );
        return undefined;
      }
      const p = parsed.data;
      const { kube, error } = resolveKube(source);
      if (!kube) {
        findings.add('node-network.unavailable', 'warning', `node-network collector: ${error}`);
        return undefined;
      }
      let nodes: NodeNetworkEvidence['nodes'];
      try {
        nodes = await within(involvedNodes(kube, p.namespace, p.selector, p.nodes), time.left() / 3, () => {
          throw new Error('the API server did not answer in time');
        });
      } catch (err) {
        findings.add(
          'node-network.unavailable',
          'warning',
          `node-network collector: cannot list nodes: ${errorText(err)}`,
        );
        return undefined;
      }
      const measurable = nodes.filter((n) => n.ip && n.netns && netnsExists(n.netns));
      if (measurable.length < 2) {
        findings.add(
          'node-network.unavailable',
          'info',
          `node-network collector: fewer than two nodes with a network namespace on this host (${nodes.map((n) => n.name).join(', ') || 'none'}); in a cluster the node agent measures this`,
        );
        return undefined;
      }
      const timeoutMs = parseDuration(p.timeout) ?? 500;
      const intervalMs = parseDuration(p.interval) ?? 50;
      const perNode = await Promise.all(
        measurable.map(async (from) => {
          const targets = measurable
            .filter((t) => t !== from)
            .map((t) => ({ name: t.name, host: t.ip as string, port: p.port }));
          // The helper stops starting attempts in time to answer by a wall-clock time, however late it
          // started on a busy machine (fewer samples, not none); the rest is for printing and exiting.
          const runMs = time.left(500);
          const endBy = Date.now() + runMs - HELPER_EXIT_MS;
          try {
            return {
              from: from.name,
              samples: await tcpFrom(
                from.netns,
                { targets, attempts: p.attempts, timeoutMs, intervalMs, endBy },
                runMs,
              ),
            };
          } catch (err) {
            findings.add(
              'node-network.probe-failed',
              'warning',
              `could not measure from node ${from.name}: ${errorText(err)}`,
              { node: from.name },
            );
            return { from: from.name, samples: [] };
          }
        }),
      );
      const pairs = assessPairs(perNode, p.lossThreshold, p.slowMs, findings);
      return { nodes, pairs, port: p.port, attempts: p.attempts, timeoutMs };
    });
  };
}

/** Nodes named in params, else those hosting the selected pods, else all nodes. */
async function involvedNodes(
  kube: NonNullable<ReturnType<typeof resolveKube>['kube']>,
  namespace: string | undefined,
  selector: string | undefined,
  named: string[] | undefined,
): Promise<NodeNetworkEvidence['nodes']> {
  const all = (await kube.core.listNode({})).items;
  let wanted = named;
  if (!wanted && namespace) {
    const pods = await kube.core.listNamespacedPod({ namespace, ...(selector ? { labelSelector: selector } : {}) });
    wanted = [...new Set(pods.items.flatMap((pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : [])))];
    if (wanted.length < 2) wanted = undefined;
  }
  const describe = (n: V1Node) => {
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const netns = n.metadata?.annotations?.[NETNS_ANNOTATION];
    return { name: n.metadata?.name ?? '?', ...(ip ? { ip } : {}), ...(netns ? { netns } : {}) };
  };
  return all
    .filter((n) => !wanted || wanted.includes(n.metadata?.name ?? ''))
    .map(describe)
    .sort((a, b) => a.name.localeCompare(b.name));
}
