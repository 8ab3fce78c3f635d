// Public face of activities/faults/: the node agent's activities, the
// control-side ones the fault workflow needs, and the agent's reconciler.
export {
  createNodeAgentActivities,
  addCounters,
  stopAllLocal,
  DEFAULT_MAX_TTL_MS,
  zeroCounters,
  type NodeAgentActivities,
  type NodeAgentDeps,
} from './agent.ts';
export { createFaultControlActivities, type FaultControlActivities, type FaultControlDeps } from './control.ts';
export { reconcile, type ReconcileDeps, type ReconcileReport, type Removal } from './reconcile.ts';
export { kubePodLister, resolvePods, selectorString, NETNS_ANNOTATION, type PodLister } from './resolve.ts';
export { planAttachment } from './plan.ts';
export { canonicalAddress, hostOf, keptPeers, resolveProtected } from './protect.ts';
export type * from '../../model/index.ts';
