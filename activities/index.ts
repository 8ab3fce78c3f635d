// Public face of activities/: one factory that takes the clients and returns
// every activity the control worker registers. Tests wire other clients.
import type { Client } from '@temporalio/client';
import { createActionActivities } from './actions/index.ts';
import { createAlertActivities, type AlertDeps } from './alerts/index.ts';
import { createCollectorActivities, evidenceDepsFromEnv, type EvidenceDeps } from './collectors/index.ts';
import { createDiagnoseActivities } from './diagnosis/index.ts';
import {
  createFaultControlActivities,
  createNodeAgentActivities,
  type NodeAgentActivities,
  type NodeAgentDeps,
} from './faults/index.ts';
import { createGamedayActivities, type GamedayDeps } from './gameday/index.ts';
import { createNotifyActivities, type NotifyDeps } from './notify.ts';
import { createProbeActivities } from './probes/index.ts';
import { createReportActivities, type ReportDeps } from './reports/index.ts';
import { createSlackActivities, type SlackDeps } from './slack/index.ts';
import { createVantageActivities, NetnsLocator, type VantageActivities, type VantageDeps } from './vantage/index.ts';

/**
 * Evidence clients (Kubernetes, Hubble Relay, etcd, DNS, probe): each optional,
 * a missing one becomes a finding. Without `evidence`, they come from the
 * environment (see activities/collectors/environment.ts). `temporal` lets the
 * faults collector and stop-fault reach fault workflows outside a worker.
 */
export interface EvidenceActivityDeps {
  evidence?: EvidenceDeps;
  temporal?: Client;
}

export interface ReportActivityDeps {
  /** Where reports go and which faults overlapped a run (the worker injects the Temporal side). */
  reports?: Pick<ReportDeps, 'dir' | 'faultWindows'>;
}

export type ActivityDeps = NotifyDeps & SlackDeps & EvidenceActivityDeps & GamedayDeps & ReportActivityDeps & AlertDeps;

export function createActivities(deps: ActivityDeps = {}) {
  const slack = createSlackActivities(deps);
  const evidence = deps.evidence ?? evidenceDepsFromEnv();
  return {
    ...createNotifyActivities(deps),
    ...slack,
    ...createEvidenceActivities({ ...deps, evidence }),
    ...createGamedayActivities(deps),
    ...createAlertActivities(deps),
    ...createFaultControlActivities(),
    ...createReportActivities({
      ...deps.reports,
      ...(evidence.probeUrl ? { probeUrl: evidence.probeUrl } : {}),
      ...(evidence.prometheusUrl ? { prometheusUrl: evidence.prometheusUrl } : {}),
      attach: slack.publishReport,
    }),
  };
}

function createEvidenceActivities(deps: EvidenceActivityDeps) {
  const evidence = deps.evidence ?? evidenceDepsFromEnv();
  return {
    ...createCollectorActivities(evidence, deps.temporal),
    ...createProbeActivities({
      ...(evidence.probeUrl ? { probeUrl: evidence.probeUrl } : {}),
      ...(evidence.prometheusUrl ? { prometheusUrl: evidence.prometheusUrl } : {}),
    }),
    ...createDiagnoseActivities(),
    ...createActionActivities({
      ...(evidence.kube ? { kube: evidence.kube } : {}),
      ...(deps.temporal ? { temporal: deps.temporal } : {}),
      ...(evidence.policyHistory ? { policyHistory: evidence.policyHistory } : {}),
    }),
  };
}

/** Every activity the control worker registers; workflows proxy them by this type. */
export type ControlActivities = ReturnType<typeof createActivities>;
export type { GamedayPort, SyntheticPayload } from './gameday/index.ts';
export type { AlertRunPort } from './alerts/index.ts';
export * from './reports/index.ts';
export * from './slack/index.ts';
export {
  createNodeAgentActivities,
  reconcile,
  resolveProtected,
  stopAllLocal,
  type NodeAgentActivities,
  type NodeAgentDeps,
  type ReconcileReport,
} from './faults/index.ts';
export { createVantageActivities, Measurers, type VantageActivities, type VantageDeps } from './vantage/index.ts';

/** Every activity the node agent registers: faults and vantage measurements. */
export type AgentActivities = NodeAgentActivities & VantageActivities;

/**
 * The node agent's activities, as it registers them. One NetnsLocator serves
 * both: a fault on a pod the request names no namespace for finds it the way
 * a measurement from that pod does, by the pod's IP.
 */
export function createAgentActivities(deps: NodeAgentDeps & Omit<VantageDeps, 'node' | 'nodeNetns'>): AgentActivities {
  const locator = deps.locator ?? new NetnsLocator();
  const locatePodNetns = async (ip: string, what: string) => (await locator.locate(ip, what)).found.path;
  return {
    ...createNodeAgentActivities({ locatePodNetns, ...deps }),
    ...createVantageActivities({ ...deps, locator }),
  };
}
export {
  kubeFromConfig,
  recordClusterPolicies,
  takeSnapshot,
  type Kube,
  type KubeSnapshot,
} from './collectors/kubernetes/index.ts';
export * from './policy/index.ts';
/** The Hubble Observer wire format, shared with the lab's Relay stand-in. */
export {
  createHubbleClient,
  fromWire,
  observerService,
  podWorkload,
  responseSchema,
  toRecord,
  type FlowRecord,
  type PeerCache,
} from './hubble/index.ts';
export {
  budget,
  evidenceDepsFromEnv,
  evidenceSources,
  readRelay,
  windowQuestions,
  type EvidenceDeps,
  type EvidenceSource,
  type RelayQuestions,
} from './collectors/index.ts';
