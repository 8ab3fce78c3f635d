// The fault workflow's activities on the control worker: resolving a
// Kubernetes target to pods. (Stop-condition probes are whatever probe
// activities the control worker registers.)
import { kubePodLister, resolvePods, type PodLister } from './resolve.ts';
import type { ResolvedPod, ResolveRequest } from '../../model/index.ts';

export interface FaultControlDeps {
  /** Defaults to the API server of the default kubeconfig, on first use. */
  pods?: PodLister;
}

export function createFaultControlActivities(deps: FaultControlDeps = {}) {
  let pods = deps.pods;
  return {
    async resolveFaultTargets(req: ResolveRequest): Promise<ResolvedPod[]> {
      pods ??= kubePodLister();
      return resolvePods(pods, req);
    },
  };
}

export type FaultControlActivities = ReturnType<typeof createFaultControlActivities>;
