// The `node-network` collector: TCP connect latency and loss between the
// nodes the affected pods run on, each node measured by its own agent from
// the node's network namespace; and, when `services` are named, connects
// from a pod of each affected workload (by its node's agent, from inside the
// pod) to the Services' backends. A refused connect still proves the path;
// only silence counts as loss. A node without an agent is a finding.
import type { V1Node } from '@kubernetes/client-node';
import { z } from 'zod';
import {
  parseDuration,
  type CollectorResult,
  type ConnectTarget,
  type StepCall,
  type TcpSample,
  type VantageJob,
  type VantageOutcome,
} from '../../../model/index.ts';
import { FanoutUnavailable, temporalFanout, type AgentFanout } from '../agents.ts';
import { podVantages, type PodVantage } from '../dns/targets.ts';
import type { Kube } from '../kubernetes/client.ts';
import { resolveKube, type KubeSource } from '../kubernetes/collector.ts';
import { listParam, optionalText } from '../params.ts';
import { budget, collect, errorText, within, type Findings } from '../result.ts';
import { assessPairs, assessPaths, type PairStats } from './pairs.ts';

export interface NodeNetworkEvidence {
  nodes: { name: string; ip?: string; netns?: string }[];
  pairs: PairStats[];
  port: number;
  attempts: number;
  timeoutMs: number;
  /** Nodes no samples came from, and why (no agent there, the agent failed). */
  unmeasured?: { node: string; reason: string }[];
  /** Pod → Service backend connects, when `services` were named: from "pod ns/name" to "service ns/name ip:port". */
  paths?: PairStats[];
}

/** Kept back at the end for the agents' helpers to exit and the answers to come back. */
const RETURN_MS = 500;

const duration = z.string().refine((t) => parseDuration(t) !== undefined, 'expected a duration like "500ms"');

const paramsSchema = z.object({
  namespace: optionalText,
  selector: optionalText,
  nodes: listParam,
  port: z.number().int().min(1).max(65535).default(10250),
  attempts: z.number().int().min(1).max(100).default(10),
  timeout: duration.default('500ms'),
  interval: duration.default('50ms'),
  /** Loss ratio on a pair that counts as a finding. */
  lossThreshold: z.number().min(0).max(1).default(0.1),
  slowMs: z.number().positive().default(50),
  /** Services ("name" in `namespace`, or "namespace/name") whose backends a pod of each workload connects to. */
  services: listParam,
  maxPods: z.number().int().min(1).max(20).default(3),
});

type Params = z.infer<typeof paramsSchema>;

export function createNodeNetworkCollector(source: KubeSource | undefined, given?: AgentFanout) {
  const agents = given ?? temporalFanout();
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
      let paths: { from: PodVantage; targets: ConnectTarget[] }[];
      try {
        [nodes, paths] = await within(
          Promise.all([involvedNodes(kube, p.namespace, p.selector, p.nodes), servicePaths(kube, p)]),
          time.left() / 3,
          () => {
            throw new Error('the API server did not answer in time');
          },
        );
      } catch (err) {
        findings.add(
          'node-network.unavailable',
          'warning',
          `node-network collector: cannot list nodes: ${errorText(err)}`,
        );
        return undefined;
      }
      const measurable = nodes.filter((n) => n.ip);
      if (measurable.length < 2 && paths.length === 0) {
        findings.add(
          'node-network.unavailable',
          'info',
          `node-network collector: fewer than two nodes with an InternalIP (${nodes.map((n) => n.name).join(', ') || 'none'})`,
        );
        return undefined;
      }
      const plan = {
        attempts: p.attempts,
        timeoutMs: parseDuration(p.timeout) ?? 500,
        intervalMs: parseDuration(p.interval) ?? 50,
        // The helpers stop starting attempts in time to answer by then, however late they
        // started on a busy machine (fewer samples, not none).
        endBy: time.deadline - RETURN_MS,
      };
      const nodeJobs: VantageJob[] =
        measurable.length < 2
          ? []
          : measurable.map((from) => ({
              node: from.name,
              activity: 'connectFromNode',
              request: {
                ...plan,
                targets: measurable
                  .filter((t) => t !== from)
                  .map((t) => ({ name: t.name, host: t.ip as string, port: p.port })),
              },
            }));
      const pathJobs: VantageJob[] = paths.map(({ from, targets }) => ({
        node: from.pod.node,
        activity: 'connectFromPod',
        request: { ...plan, pod: from.pod, targets },
      }));
      const outcomes = await ask(agents, [...nodeJobs, ...pathJobs], time.deadline, findings);
      const unmeasured: NonNullable<NodeNetworkEvidence['unmeasured']> = [];
      const samplesOf = (outcome: VantageOutcome, from: string, node: string): TcpSample[] => {
        if (outcome.ok && outcome.result.kind === 'connect') return outcome.result.samples;
        const reason = outcome.ok ? 'the agent answered something else' : outcome.error;
        unmeasured.push({ node, reason });
        if (!outcome.ok && outcome.reason === 'no-agent')
          findings.add(
            'node-network.no-agent',
            'warning',
            `no agent on ${node}: not measured from ${from} (${reason})`,
            { node, from },
            `no-agent:${from}`,
          );
        else
          findings.add('node-network.probe-failed', 'warning', `could not measure from ${from}: ${reason}`, {
            node,
            from,
          });
        return [];
      };
      const perNode = nodeJobs.map((job, i) => ({
        from: job.node,
        samples: samplesOf(outcomes[i] as VantageOutcome, `node ${job.node}`, job.node),
      }));
      const perPod = paths.map(({ from }, i) => ({
        from: from.label,
        samples: samplesOf(outcomes[nodeJobs.length + i] as VantageOutcome, from.label, from.pod.node),
      }));
      const pairs = nodeJobs.length ? assessPairs(perNode, p.lossThreshold, p.slowMs, findings) : [];
      const pathStats = paths.length ? assessPaths(perPod, p.lossThreshold, p.slowMs, findings) : undefined;
      return {
        nodes,
        pairs,
        port: p.port,
        attempts: p.attempts,
        timeoutMs: plan.timeoutMs,
        ...(unmeasured.length ? { unmeasured } : {}),
        ...(pathStats ? { paths: pathStats } : {}),
      };
    });
  };
}

async function ask(agents: AgentFanout, jobs: VantageJob[], deadline: number, findings: Findings) {
  try {
    return await agents.run(jobs, deadline);
  } catch (err) {
    const reason =
      err instanceof FanoutUnavailable ? err.message : `the node agents could not be asked: ${errorText(err)}`;
    findings.add('node-network.no-agent', 'warning', `not measured: ${reason}`);
    return jobs.map((j): VantageOutcome => ({ node: j.node, ok: false, reason: 'failed', error: reason }));
  }
}

/** Nodes named in params, else those hosting the selected pods, else all nodes. */
async function involvedNodes(
  kube: Kube,
  namespace: string | undefined,
  selector: string | undefined,
  named: string[] | undefined,
): Promise<NodeNetworkEvidence['nodes']> {
  // The nodes and the pods placing them are independent reads: both at once.
  const [nodes, pods] = await Promise.all([
    kube.core.listNode({}),
    !named && namespace
      ? kube.core.listNamespacedPod({ namespace, ...(selector ? { labelSelector: selector } : {}) })
      : undefined,
  ]);
  const all = nodes.items;
  let wanted = named;
  if (pods) {
    wanted = [...new Set(pods.items.flatMap((pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : [])))];
    if (wanted.length < 2) wanted = undefined;
  }
  const describe = (n: V1Node) => {
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    return { name: n.metadata?.name ?? '?', ...(ip ? { ip } : {}) };
  };
  return all
    .filter((n) => !wanted || wanted.includes(n.metadata?.name ?? ''))
    .map(describe)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** For each affected workload's pod, the ready backends (EndpointSlice addresses) of the named Services. */
async function servicePaths(kube: Kube, p: Params): Promise<{ from: PodVantage; targets: ConnectTarget[] }[]> {
  if (!p.services?.length || !p.namespace) return [];
  const pods = await podVantages(kube, p.namespace, p.selector, p.maxPods);
  const backends = (
    await Promise.all(
      p.services.map(async (ref) => {
        const [namespace, name] = ref.includes('/') ? ref.split('/', 2) : [p.namespace as string, ref];
        const slices = await kube.discovery.listNamespacedEndpointSlice({
          namespace: namespace as string,
          labelSelector: `kubernetes.io/service-name=${name}`,
        });
        return slices.items.flatMap((slice) => {
          const port = slice.ports?.find((x) => (x.protocol ?? 'TCP') === 'TCP' && x.port)?.port;
          if (!port) return [];
          return (slice.endpoints ?? [])
            .filter((ep) => ep.conditions?.ready !== false)
            .flatMap((ep) =>
              ep.addresses.map((host) => ({ name: `service ${namespace}/${name} ${host}:${port}`, host, port })),
            );
        });
      }),
    )
  ).flat();
  return backends.length ? pods.map((from) => ({ from, targets: backends })) : [];
}
