// Waiting for nightshift's chart to run in the lab (`lab up --chart`): the
// worker's and gateway's pods Ready, and an agent pod running on every node.
// What it returns (their pod IPs) is where the lab's Alertmanager and
// Prometheus reach them, as a cluster's would by Service or pod discovery.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { LAB_RELEASE } from './chart.ts';
import { waitFor } from './health.ts';
import { NODES } from './topology.ts';

/** The chart's agent namespace (values.yaml agent.namespace, left at its default by the lab). */
export const LAB_AGENT_NAMESPACE = 'nightshift-agent';

export interface ChartPods {
  gateway: { name: string; ip: string };
  worker: { name: string; ip: string };
  /** One per lab node: the agent pod there (hostNetwork: its IP is the node's). */
  agents: Array<{ node: string; name: string; ip: string }>;
}

const COMPONENT = 'app.kubernetes.io/component';

function ready(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !pod.metadata?.deletionTimestamp &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function ipOf(pod: V1Pod): { name: string; ip: string } | undefined {
  const ip = pod.status?.podIP;
  return ip ? { name: pod.metadata?.name ?? '', ip } : undefined;
}

export async function waitChartPods(kc: KubeConfig, timeoutMs: number): Promise<ChartPods> {
  const core = kc.makeApiClient(CoreV1Api);
  let missing: string[] = [];
  return waitFor(
    () => `nightshift's chart pods to run (still waiting: ${missing.join(', ') || 'none listed yet'})`,
    timeoutMs,
    async () => {
      const [release, agents] = await Promise.all([
        core.listNamespacedPod({ namespace: LAB_RELEASE.namespace }),
        core.listNamespacedPod({ namespace: LAB_AGENT_NAMESPACE }),
      ]);
      const one = (component: string) =>
        release.items.filter(ready).find((p) => p.metadata?.labels?.[COMPONENT] === component);
      const gateway = ipOf(one('gateway') ?? {});
      const worker = ipOf(one('worker') ?? {});
      const perNode = NODES.map((node) => {
        const pod = agents.items.filter(ready).find((p) => p.spec?.nodeName === node.name);
        const at = pod && ipOf(pod);
        return at ? { node: node.name, ...at } : undefined;
      });
      missing = [
        ...(gateway ? [] : ['gateway']),
        ...(worker ? [] : ['worker']),
        ...NODES.filter((_, i) => !perNode[i]).map((n) => `agent on ${n.name}`),
      ];
      if (!gateway || !worker || missing.length > 0) return undefined;
      return { gateway, worker, agents: perNode.filter((a) => a !== undefined) };
    },
  );
}
