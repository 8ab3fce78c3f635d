// Public face of the evidence collectors: one factory that takes the clients
// (any of which may be missing: that collector then answers with a finding
// that says what to configure) and returns every collector activity.
import type { Client } from '@temporalio/client';
import { temporalFanout } from './agents.ts';
import { createDnsCollector } from './dns/index.ts';
import type { EvidenceDeps } from './environment.ts';
import { createEtcdCollector } from './etcd/index.ts';
import { createFaultsCollector } from './faults/index.ts';
import { createFlowsCollector } from './flows/index.ts';
import { createKubernetesCollector } from './kubernetes/index.ts';
import { createMetricsCollector } from './metrics/collector.ts';
import { ScrapeMemory } from './metrics/memory.ts';
import { createNodeNetworkCollector } from './nodes/index.ts';

export function createCollectorActivities(deps: EvidenceDeps, temporal?: Client) {
  // DNS and node-to-node are measured by the node agents, reached through Temporal.
  const agents = temporalFanout(temporal ? { client: temporal } : {});
  return {
    collectFlows: createFlowsCollector(deps.hubble),
    collectDns: createDnsCollector({
      ...deps.dns,
      ...(deps.prometheusUrl ? { prometheusUrl: deps.prometheusUrl } : {}),
      ...(deps.kube ? { kube: deps.kube } : {}),
      memory: new ScrapeMemory(),
      agents,
    }),
    collectEtcd: createEtcdCollector(deps.etcd, deps.prometheusUrl),
    collectKubernetes: createKubernetesCollector(deps.kube, deps.policyHistory),
    collectNodeNetwork: createNodeNetworkCollector(deps.kube, agents),
    collectFaults: createFaultsCollector(temporal),
    collectMetrics: createMetricsCollector(deps.prometheusUrl),
  };
}

export {
  EvidenceConfigError,
  evidenceDepsFromEnv,
  evidenceEnvSchema,
  evidenceSources,
  type EvidenceDeps,
  type EvidenceSource,
} from './environment.ts';
export { readRelay, windowQuestions, type RelayQuestions } from './flows/index.ts';
export { budget } from './result.ts';
export { FanoutUnavailable, temporalFanout, type AgentFanout, type FanoutOptions } from './agents.ts';
export type { CollectorResult, Finding } from '../../model/index.ts';
