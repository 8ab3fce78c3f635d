// Public face of the Kubernetes collector and the clients actions share.
export { classify, kubeFromConfig, withRetry, type Kube, type KubeFailure } from './client.ts';
export { createKubernetesCollector, recordClusterPolicies, resolveKube, type KubeSource } from './collector.ts';
export type { KubeEvidence, PolicyInfo } from './assemble.ts';
export {
  HOST_INTERFACE_ANNOTATION,
  NETNS_ANNOTATION,
  podInfo,
  type NodeInfo,
  type PodInfo,
  type ServiceInfo,
  type WorkloadInfo,
} from './inventory.ts';
export { httpRouteSchema, readRoute, type RouteInfo, type RouteBackend } from './routes.ts';
export { takeSnapshot, type KubeSnapshot } from './snapshot.ts';
