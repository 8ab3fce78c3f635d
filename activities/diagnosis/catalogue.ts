// The hypothesis catalogue of docs/scenario.md: ids are contracts, titles are
// what a person reads at 3 AM.
export const HYPOTHESES = {
  'pod-to-pod-drop': 'Packets between two workloads are dropped',
  'policy-denies': 'A network policy denies the failing flow',
  'dns-loss': 'DNS queries are lost or time out',
  'dns-slow': 'DNS answers, but slowly',
  'node-network-loss': 'Packets are lost between particular nodes',
  'etcd-unhealthy': 'etcd is unhealthy: leader, members or disk',
  'canary-failing': 'The canary backend of an HTTPRoute is failing',
  'endpoints-empty': 'A Service has no ready endpoints',
  'service-latency': 'A workload answers slowly without loss',
  'no-fault-found': 'The evidence shows nothing wrong',
} as const;

export type HypothesisId = keyof typeof HYPOTHESES;

/** Below this, a hypothesis is a hint, not a finding; destructive actions need at least this. */
export const CONFIDENT = 0.5;
