// Public face of the etcd collector.
export { createEtcdClient, type EtcdClient } from './client.ts';
export { createEtcdCollector, type EtcdDeps } from './collector.ts';
export { DEFAULT_ETCD_THRESHOLDS, type EtcdEvidence, type EtcdThresholds } from './assess.ts';
export type { EtcdMember } from './member.ts';
