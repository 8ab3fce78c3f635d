// Public face of control-plane/: the real Kubernetes servers the lab runs.
export { apiserverComponent, auditLogPath } from './apiserver.ts';
export { controllerManagerComponent, CONTROLLERS } from './controller-manager.ts';
export { corefile, corednsComponent, COREDNS_METRICS_URL } from './coredns.ts';
export { etcdComponent, initialCluster } from './etcd.ts';
