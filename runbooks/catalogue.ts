// The names a runbook may use for collectors, remediation actions and probes,
// and the activities behind them. Pure data: validation resolves every name
// here, so a compiled runbook carries activity names and the workflow never
// needs this table (editing it cannot break a running incident's replay).

/** Which worker runs an activity: the control worker, or the node agent on the target's node. */
export type ActivityQueue = 'control' | 'node';

export interface CatalogueEntry {
  /** Registered activity function name. */
  activity: string;
  description: string;
  queue?: ActivityQueue;
}

/**
 * What an action changes, for four-eyes: objects in the namespace its
 * `namespace` parameter names (none named: treated as cluster-scoped),
 * cluster-scoped objects (nodes), or only a nightshift fault (stopping chaos).
 * Absent: treated as `namespace`.
 */
export type ActionTouches = 'namespace' | 'cluster' | 'fault';

export interface ActionEntry extends CatalogueEntry {
  /** Activity that undoes this action, given the action's result. */
  undo?: string;
  /** Restart, cordon, rollback: never offered below 0.5 confidence. */
  destructive: boolean;
  touches?: ActionTouches;
}

export interface Catalogue {
  collectors: Record<string, CatalogueEntry>;
  actions: Record<string, ActionEntry>;
  probes: Record<string, CatalogueEntry>;
  /** Activities the interpreter itself calls. */
  builtins: { diagnose: string; notify: string };
}

export const defaultCatalogue: Catalogue = {
  collectors: {
    flows: {
      activity: 'collectFlows',
      description:
        'dropped and forwarded flows from Hubble Relay (or a hubble observe -o json capture), by source, destination, port and reason',
    },
    dns: {
      activity: 'collectDns',
      description:
        "DNS latency, loss and SERVFAIL/NXDOMAIN as pods of the workloads resolve (their own resolv.conf, measured by their nodes' agents), plus CoreDNS metrics",
    },
    etcd: {
      activity: 'collectEtcd',
      description: 'etcd members: health, leader, raft term and index, db size, fsync/commit p99, leader changes',
    },
    kubernetes: {
      activity: 'collectKubernetes',
      description: 'pods, Deployments, EndpointSlices, Warning events, policies selecting the pods, HTTPRoutes, nodes',
    },
    'node-network': {
      activity: 'collectNodeNetwork',
      description:
        "TCP connect latency and loss between the nodes of the affected pods (each node's agent measures), and from the pods to named Services' backends",
    },
    probe: {
      activity: 'collectProbe',
      description:
        'the symptom from an SLI source (source: prometheus | probe | http): success rate and latency, against the two minutes before when the source keeps them',
    },
    faults: { activity: 'collectFaults', description: 'nightshift faults active right now' },
    metrics: {
      activity: 'collectMetrics',
      description:
        "PromQL over the cluster's Prometheus (queries: name → expr; before, window, step): each query now, its level before, and when it changed",
    },
  },
  actions: {
    'shift-route-weight': {
      activity: 'shiftRouteWeight',
      undo: 'undoShiftRouteWeight',
      destructive: false,
      touches: 'namespace',
      description: 'send all of an HTTPRoute rule to one backend (the stable one)',
    },
    'rollout-restart': {
      activity: 'rolloutRestart',
      destructive: true,
      touches: 'namespace',
      description: 'restart a Deployment (kubectl rollout restart) and wait for the rollout',
    },
    'rollback-deployment': {
      activity: 'rollbackDeployment',
      undo: 'undoRollbackDeployment',
      destructive: true,
      touches: 'namespace',
      description: "put back the previous revision's pod template of a Deployment",
    },
    'cordon-node': {
      activity: 'cordonNode',
      undo: 'uncordonNode',
      destructive: true,
      touches: 'cluster',
      description: 'mark a node unschedulable',
    },
    'restore-policy': {
      activity: 'restorePolicy',
      undo: 'undoRestorePolicy',
      destructive: false,
      touches: 'namespace',
      description: 'restore a NetworkPolicy or Cilium policy to its previous version',
    },
    'stop-fault': {
      activity: 'stopFault',
      destructive: false,
      touches: 'fault',
      description: 'abort an active nightshift fault (it reverts itself)',
    },
  },
  probes: {
    'checkout-probe': {
      activity: 'checkoutProbe',
      description:
        "the traffic probe's summary over a recent window: {successRate, requests, failures, p50Ms, p95Ms, p99Ms}",
    },
    http: {
      activity: 'httpProbe',
      description: 'N requests to a URL: {successRate, requests, failures, p50Ms, p95Ms, statuses}',
    },
    sli: {
      activity: 'sliProbe',
      description:
        'the SLI source a runbook names (source: prometheus | probe | http; url): {successRate, requests, failures, p50Ms, p95Ms, source}',
    },
    promql: {
      activity: 'promqlProbe',
      description:
        "a PromQL query's value now through the Prometheus HTTP API (query; $window = window): {value, samples, query}; value is null without data",
    },
  },
  builtins: { diagnose: 'diagnose', notify: 'notify' },
};

/** A catalogue extended with more entries (tests, plugins). */
export function extendCatalogue(base: Catalogue, extra: Partial<Catalogue>): Catalogue {
  return {
    collectors: { ...base.collectors, ...extra.collectors },
    actions: { ...base.actions, ...extra.actions },
    probes: { ...base.probes, ...extra.probes },
    builtins: { ...base.builtins, ...extra.builtins },
  };
}
