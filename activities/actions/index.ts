// Public face of the remediation actions: each idempotent, each with a dry
// run that shows the exact change, each returning what it changed so its undo
// (registered by the interpreter when the act step compensates) can revert it.
import type { Client } from '@temporalio/client';
import { failure } from '../../model/index.ts';
import { resolveKube, type KubeSource } from '../collectors/kubernetes/collector.ts';
import type { Kube } from '../collectors/kubernetes/client.ts';
import { createDeploymentActions } from './deployment.ts';
import { createFaultActions } from './fault.ts';
import type { PolicyHistory } from './history.ts';
import { createNodeActions } from './node.ts';
import { createPolicyActions } from './policy.ts';
import { createRouteWeightActions } from './route-weight.ts';

export interface ActionDeps {
  kube?: KubeSource;
  temporal?: Client;
  policyHistory?: PolicyHistory;
}

export function createActionActivities(deps: ActionDeps) {
  const kube = (): Kube => {
    const { kube: k, error } = resolveKube(deps.kube);
    if (!k) throw failure('Unsupported', `remediation needs Kubernetes access: ${error}`);
    return k;
  };
  return {
    ...createRouteWeightActions(kube),
    ...createDeploymentActions(kube),
    ...createNodeActions(kube),
    ...createPolicyActions(kube, deps.policyHistory),
    ...createFaultActions(deps.temporal),
  };
}

export { FAULT_ABORT_SIGNAL } from './fault.ts';
export {
  canonical,
  contentHash,
  FilePolicyHistory,
  policyContent,
  type PolicyHistory,
  type PolicyVersion,
} from './history.ts';
export { lineDiff } from './diff.ts';
