// Public face of activities/: one factory that takes the clients and returns
// every activity the control worker registers. Tests wire other clients.
import type { Client } from '@temporalio/client';
import { createActionActivities } from './actions/index.ts';
import { createCollectorActivities, evidenceDepsFromEnv, type EvidenceDeps } from './collectors/index.ts';
import { createDiagnoseActivities } from './diagnosis/index.ts';
import { createFaultControlActivities } from './faults/index.ts';
import { createGamedayActivities, type GamedayDeps } from './gameday/index.ts';
import { createNotifyActivities, type NotifyDeps } from './notify.ts';
import { createProbeActivities } from './probes/index.ts';
import { createSlackActivities, type SlackDeps } from './slack/index.ts';

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

export type ActivityDeps = NotifyDeps & SlackDeps & EvidenceActivityDeps & GamedayDeps;

export function createActivities(deps: ActivityDeps = {}) {
  return {
    ...createNotifyActivities(deps),
    ...createSlackActivities(deps),
    ...createEvidenceActivities(deps),
    ...createGamedayActivities(deps),
    ...createFaultControlActivities(),
  };
}

function createEvidenceActivities(deps: EvidenceActivityDeps) {
  const evidence = deps.evidence ?? evidenceDepsFromEnv();
  return {
    ...createCollectorActivities(evidence, deps.temporal),
    ...createProbeActivities({ ...(evidence.probeUrl ? { probeUrl: evidence.probeUrl } : {}) }),
    ...createDiagnoseActivities(),
    ...createActionActivities({ ...(evidence.kube ? { kube: evidence.kube } : {}), ...(deps.temporal ? { temporal: deps.temporal } : {}), ...(evidence.policyHistory ? { policyHistory: evidence.policyHistory } : {}) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { GamedayPort, SyntheticPayload } from './gameday/index.ts';
