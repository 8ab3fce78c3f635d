// Public face of the lab: bring it up and down, read its status, find its
// kubeconfig, read the probe. Other parts and tests import from here only.
import { resolve } from 'node:path';
import { loadConfig } from '../worker/base.ts';
import { labAlertToken } from './observability/index.ts';
import { labPaths } from './paths.ts';
import { applyFile } from './apply.ts';
import { loadKubeConfig } from './k8s.ts';

export { labUp, type LabUpOptions, type LabUpResult } from './up.ts';
export { labDown, type DownReport } from './down.ts';
export { restartLabProcess } from './restart.ts';
export { labStatus, ENDPOINTS, type LabStatus, type PodStatus, type ProcessStatus } from './status.ts';
export { probeSeries, probeSummary, probeSummarySchema, probeSeriesSchema } from './probe/index.ts';
export type { ProbeRow, ProbeSeries, ProbeSummary } from './probe/index.ts';
export { LabError } from './sh.ts';
export { setDnsDelay } from './dns-delay/index.ts';
export {
  alertmanagerConfig,
  LAB_MONITORING,
  managedAlerts,
  prometheusConfig,
  ruleAlerts,
  webhookNotifications,
  ALERTMANAGER_SNIPPET,
  DEPLOY_ALERTMANAGER,
  DEPLOY_PROMETHEUS,
  type ManagedAlert,
  type MonitoringSettings,
  type RuleAlert,
} from './observability/index.ts';
export * from './topology.ts';
export { freePort } from './ports.ts';
/** How the Hubble Relay stand-in sends flows it encoded when it stored them (bench/flow-encode.ts). */
export { HUBBLE_RELAY_ADDRESS, serializeResponse } from './hubble/index.ts';
export { readLedger, type LedgerPod } from './simulator/index.ts';

/** The lab's kubeconfig for a data dir (default: the configured one). */
export function kubeconfigPath(dataDir = loadConfig().dataDir): string {
  return labPaths(resolve(dataDir)).kubeconfig;
}

/** The kubeconfig of the lab's control workers: a token of the chart's worker ServiceAccount (lab/chart.ts). */
export function workerKubeconfigPath(dataDir = loadConfig().dataDir): string {
  return labPaths(resolve(dataDir)).workerKubeconfig;
}
export { LAB_CHART_VALUES, LAB_RELEASE, LAB_WORKER_SA } from './chart.ts';

/** The bearer token the lab's Alertmanager sends to nightshift's webhook (undefined before `lab up`). */
export function labAlertTokenFor(dataDir = loadConfig().dataDir): string | undefined {
  return labAlertToken(labPaths(resolve(dataDir)));
}

/** The lab's directory (state, logs, certificates) for a data dir. */
export function labDir(dataDir = loadConfig().dataDir): string {
  return labPaths(resolve(dataDir)).root;
}
/** Network policy enforcement in the lab's datapath (lab up starts its agent; bench/policy-test-run.ts). */
export * as policy from './policy/index.ts';
export { LAB_POLICY, POLICY_3AM } from './apply.ts';

/** Apply a manifest file to the lab as `lab up` applies its own (server-side apply), e.g. POLICY_3AM. */
export async function applyToLab(file: string, dataDir = loadConfig().dataDir): Promise<void> {
  await applyFile(loadKubeConfig(labPaths(resolve(dataDir)).kubeconfig), file);
}
