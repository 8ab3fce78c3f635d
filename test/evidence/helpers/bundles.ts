// Evidence bundles shaped like each docs/scenario.md failure, built with the
// collectors' own pure code (summaries, assessments, findings), so the
// diagnosis is tested on what the collectors really produce.
import type { CoreV1Event, V1Deployment, V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { assessEtcd, DEFAULT_ETCD_THRESHOLDS, type EtcdEvidence } from '../../../activities/collectors/etcd/assess.ts';
import type { EtcdMember } from '../../../activities/collectors/etcd/member.ts';
import { findDns } from '../../../activities/collectors/dns/findings.ts';
import type { DnsEvidence } from '../../../activities/collectors/dns/findings.ts';
import type { DnsTargetStats } from '../../../activities/collectors/dns/stats.ts';
import { describeFlows } from '../../../activities/collectors/flows/index.ts';
import { assembleKube } from '../../../activities/collectors/kubernetes/assemble.ts';
import type { KubeSnapshot } from '../../../activities/collectors/kubernetes/snapshot.ts';
import { assessPairs } from '../../../activities/collectors/nodes/pairs.ts';
import { Findings } from '../../../activities/collectors/result.ts';
import type { ActiveFault } from '../../../activities/collectors/faults/collector.ts';
import { summariseFlows, type FlowRecord, type Peer } from '../../../activities/hubble/index.ts';
import { assessProbe, DEFAULT_PROBE_THRESHOLDS, type ProbeEvidence } from '../../../activities/probes/index.ts';
import type { CollectorResult, TcpSample } from '../../../model/index.ts';

const result = <E>(collector: string, evidence: E, findings: Findings): CollectorResult<E> => ({
  collector,
  ok: true,
  durationMs: 5,
  evidence,
  findings: findings.list,
});

// --- flows ---------------------------------------------------------------

export interface FlowSpec {
  from: string;
  to: string;
  port: number;
  protocol?: 'TCP' | 'UDP';
  /** DROPPED: packets Cilium dropped (with its reason). FORWARDED (default): connections. */
  verdict?: 'FORWARDED' | 'DROPPED';
  reason?: string;
  node?: string;
  count?: number;
  http?: number;
  /** An HTTP answer's time at the server, from the request's arrival (Cilium's L7 `latency_ns`). */
  latencyMs?: number;
  /** Connections get their SYN-ACK (UDP: a reply) unless false: then only the opening is seen, as Hubble shows a lost packet. */
  answered?: boolean;
}

let clientPort = 40_000;

const ipOf = (name: string) => {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `10.244.${(h >> 8) % 250}.${(h % 250) + 2}`;
};

/** Flow records as Hubble hands them out for what the spec describes. */
export function flow(spec: FlowSpec): FlowRecord[] {
  const peer = (name: string): Peer => {
    const [namespace, workload = name] = name.includes('/') ? name.split('/') : [undefined, name];
    return namespace
      ? { namespace, workload, labels: { app: workload }, pod: `${workload}-7d9f8b6c4-abcde`, ip: ipOf(name) }
      : { workload, labels: {}, ip: name };
  };
  const protocol = spec.protocol ?? 'TCP';
  const node = spec.node ? { node: spec.node } : {};
  return Array.from({ length: spec.count ?? 1 }, (): FlowRecord[] => {
    const port = clientPort++;
    if (spec.http)
      return [
        {
          verdict: 'FORWARDED',
          ...node,
          source: peer(spec.to),
          destination: peer(spec.from),
          protocol,
          sourcePort: spec.port,
          destinationPort: port,
          tcpFlags: [],
          isReply: true,
          http: { code: spec.http, ...(spec.latencyMs === undefined ? {} : { latencyMs: spec.latencyMs }) },
        },
      ];
    const opening: FlowRecord = {
      verdict: 'FORWARDED',
      ...node,
      source: peer(spec.from),
      destination: peer(spec.to),
      protocol,
      sourcePort: port,
      destinationPort: spec.port,
      tcpFlags: protocol === 'TCP' ? ['SYN'] : [],
      isReply: false,
    };
    if (spec.verdict === 'DROPPED')
      return [{ ...opening, verdict: 'DROPPED', dropReason: spec.reason ?? 'POLICY_DENIED' }];
    const answer: FlowRecord = {
      verdict: 'FORWARDED',
      source: peer(spec.to),
      destination: peer(spec.from),
      protocol,
      sourcePort: spec.port,
      destinationPort: port,
      tcpFlags: protocol === 'TCP' ? ['SYN', 'ACK'] : [],
      isReply: true,
    };
    return spec.answered === false ? [opening] : [opening, answer];
  }).flat();
}

/** Normal shop traffic: frontend → cart v1/v2 → answers, frontend → payment. */
export function shopTraffic(extra: FlowRecord[] = []): FlowRecord[] {
  return [
    ...flow({
      from: 'production/checkout-frontend',
      to: 'production/cart-service-v1',
      port: 80,
      count: 90,
      node: 'lab-node-1',
    }),
    ...flow({
      from: 'production/checkout-frontend',
      to: 'production/cart-service-v2',
      port: 80,
      count: 10,
      node: 'lab-node-2',
    }),
    ...flow({
      from: 'production/checkout-frontend',
      to: 'finance/payment-processor',
      port: 8080,
      count: 40,
      node: 'lab-node-3',
    }),
    ...extra,
  ];
}

export function flowsResult(records: FlowRecord[]) {
  const summary = summariseFlows(records);
  const findings = new Findings('flows');
  describeFlows(summary, findings, false);
  return result('flows', { ...summary, source: 'test', truncated: false }, findings);
}

// --- DNS ------------------------------------------------------------------

export function dnsTarget(from: string, workload: string, over: Partial<DnsTargetStats> = {}): DnsTargetStats {
  return {
    from,
    workload,
    server: '10.96.0.10',
    kind: 'cluster-dns',
    samples: 20,
    answered: 20,
    p50Ms: 0.4,
    p95Ms: 0.9,
    maxMs: 1.2,
    answeredP95Ms: 0.9,
    timeouts: 0,
    stalls: 0,
    servfail: 0,
    nxdomain: 0,
    refused: 0,
    errors: 0,
    lossRatio: 0,
    ...over,
  };
}

export const FRONTEND_POD = 'pod production/checkout-frontend-7d9f8b6c4-aaaaa';
export const CART_POD = 'pod production/cart-service-v1-6d4f9b7c8-ccccc';
export const CART2_POD = 'pod production/cart-service-v2-5c8d7b6f9-eeeee';

export function dnsResult(targets: DnsTargetStats[], corednsP95Ms = 0.8) {
  const evidence: DnsEvidence = {
    names: ['kubernetes.default.svc.cluster.local'],
    servers: [{ address: '10.96.0.10', kind: 'cluster-dns' }],
    targets,
    coredns: [
      {
        endpoint: 'http://10.200.0.1:9153/metrics',
        requests: 500,
        p50Ms: 0.3,
        p95Ms: corednsP95Ms,
        p99Ms: corednsP95Ms * 1.2,
        byRcode: { NOERROR: 500 },
        servfailShare: 0,
        panics: 0,
        basis: 'since CoreDNS started',
      },
    ],
    slowMs: 50,
    queryTimeoutMs: 1000,
  };
  const findings = new Findings('dns');
  findDns(evidence, findings);
  return result('dns', evidence, findings);
}

export const healthyDns = () =>
  dnsResult([
    dnsTarget(FRONTEND_POD, 'production/checkout-frontend'),
    dnsTarget(CART_POD, 'production/cart-service-v1'),
    dnsTarget(CART2_POD, 'production/cart-service-v2'),
  ]);

// --- etcd -----------------------------------------------------------------

export function etcdMember(name: string, over: Partial<EtcdMember> = {}): EtcdMember {
  return {
    endpoint: `http://10.200.0.2${name.slice(-1)}:2379`,
    name,
    id: name,
    reachable: true,
    healthy: true,
    hasLeader: true,
    leader: 'etcd-1',
    isLeader: name === 'etcd-1',
    raftTerm: 2,
    raftIndex: 900,
    walFsyncP99Ms: 4,
    backendCommitP99Ms: 8,
    leaderChangesInWindow: 0,
    peerRttP99Ms: {},
    peerSendFailures: {},
    basis: { latency: 'since process start', counters: 'since process start' },
    ...over,
  };
}

export function etcdResult(members: EtcdMember[]) {
  const findings = new Findings('etcd');
  const evidence: EtcdEvidence = assessEtcd(members, DEFAULT_ETCD_THRESHOLDS, 900_000, findings);
  return result('etcd', evidence, findings);
}

export const healthyEtcd = () => etcdResult(['etcd-1', 'etcd-2', 'etcd-3'].map((n) => etcdMember(n)));

// --- node-to-node ---------------------------------------------------------

const NODES = ['lab-node-1', 'lab-node-2', 'lab-node-3'];

/** Ten connects per pair; pairs touching `lossyNode` lose `lost` of them. */
/** Every node measures its peers (or only `measuredFrom`: the others' helpers gave nothing). */
export function nodesResult(lossyNode?: string, lost = 4, measuredFrom: readonly string[] = NODES) {
  const perNode = measuredFrom.map((from) => ({
    from,
    samples: NODES.filter((to) => to !== from).flatMap((to): TcpSample[] =>
      Array.from({ length: 10 }, (_, i) =>
        lossyNode && (from === lossyNode || to === lossyNode) && i < lost
          ? { target: to, ms: 500, outcome: 'timeout' }
          : { target: to, ms: 0.3 + i * 0.01, outcome: 'refused' },
      ),
    ),
  }));
  const findings = new Findings('node-network');
  const pairs = assessPairs(perNode, 0.1, 50, findings);
  return result(
    'node-network',
    { nodes: NODES.map((name) => ({ name })), pairs, port: 10250, attempts: 10, timeoutMs: 500 },
    findings,
  );
}

// --- probe ----------------------------------------------------------------

export function probeResult(
  successRate: number,
  p95Ms = 25,
  failureKinds: Record<string, number> = {},
  baselineP95Ms = 25,
) {
  const requests = 200;
  const failures = Math.round(requests * (1 - successRate));
  const evidence: ProbeEvidence = {
    url: 'http://127.0.0.1:9470',
    windowSeconds: 10,
    summary: { successRate, requests, failures, p50Ms: Math.min(p95Ms, 12), p95Ms, p99Ms: p95Ms * 1.2, failureKinds },
    baseline: { seconds: 60, successRate: 1, p95Ms: baselineP95Ms, requestsPerSecond: 20 },
    errorRatio: Math.round((1 - successRate) * 10000) / 10000,
  };
  const findings = new Findings('probe');
  assessProbe(evidence, DEFAULT_PROBE_THRESHOLDS, findings);
  return result('probe', evidence, findings);
}

// --- faults ---------------------------------------------------------------

export function faultsResult(active: ActiveFault[]) {
  const findings = new Findings('faults');
  for (const f of active)
    findings.add(
      'faults.active',
      'warning',
      `nightshift fault ${f.faultId} is ${f.state}`,
      { ...f },
      `active:${f.faultId}`,
    );
  if (!active.length) findings.add('faults.none', 'info', 'no nightshift fault is active');
  return result('faults', { active }, findings);
}

// --- Kubernetes -----------------------------------------------------------

interface PodSpec {
  namespace: string;
  workload: string;
  node: string;
  ready?: boolean;
  restarts?: number;
  index?: number;
}

function pod(p: PodSpec): V1Pod {
  const hash = '7d9f8b6c4';
  return {
    metadata: {
      namespace: p.namespace,
      name: `${p.workload}-${hash}-${'abcde'.slice(0, 4)}${p.index ?? 0}`,
      labels: { app: p.workload, 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.workload}-${hash}`, uid: 'x' }],
    },
    spec: { nodeName: p.node, containers: [] },
    status: {
      phase: 'Running',
      podIP: `10.244.1.${(p.index ?? 0) + 10}`,
      conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }],
      containerStatuses: [
        { name: 'app', image: 'x', imageID: 'x', ready: p.ready !== false, restartCount: p.restarts ?? 0 },
      ],
    },
  };
}

const deployment = (namespace: string, name: string, replicas: number, ready: number): V1Deployment => ({
  metadata: { namespace, name, generation: 1, annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: {} },
  status: { readyReplicas: ready, availableReplicas: ready, updatedReplicas: replicas, observedGeneration: 1 },
});

const slice = (namespace: string, service: string, ready: number, notReady = 0): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
  endpoints: [
    ...Array.from({ length: ready }, (_, i) => ({ addresses: [`10.244.1.${i + 50}`], conditions: { ready: true } })),
    ...Array.from({ length: notReady }, (_, i) => ({
      addresses: [`10.244.1.${i + 80}`],
      conditions: { ready: false },
    })),
  ],
});

const fixture = (name: string): unknown =>
  parse(readFileSync(new URL(`../../fixtures/evidence/${name}`, import.meta.url), 'utf8'));

export interface ShopOptions {
  canaryReady?: boolean;
  cartReady?: number;
  /** 0: cart v1 scaled to zero (no pods at all). */
  cartReplicas?: number;
  policyChangedAt?: string;
  /** Run every pod of these workloads on this node. */
  nodeOf?: Record<string, string>;
  /** What the kubelet says of the unready cart v1 pods' readiness probes (an Unhealthy event each). */
  cartProbe?: string;
  /** The namespaces whose pods, Deployments and slices were read (policies are read in all of them). */
  read?: string[];
}

/** A kubelet's Unhealthy event on a pod, counted `count` times. */
function unhealthy(namespace: string, podName: string, message: string, count: number): CoreV1Event {
  return {
    metadata: { namespace, name: `${podName}.17a` },
    involvedObject: { kind: 'Pod', namespace, name: podName },
    reason: 'Unhealthy',
    type: 'Warning',
    message: `Readiness probe failed: ${message}`,
    count,
    lastTimestamp: new Date(),
  };
}

/** The shop of docs/scenario.md as the Kubernetes collector would report it. */
export function kubeResult(options: ShopOptions = {}) {
  const cartReady = options.cartReady ?? 2;
  const cartReplicas = options.cartReplicas ?? 2;
  const placed = (p: Parameters<typeof pod>[0]) => pod({ ...p, node: options.nodeOf?.[p.workload] ?? p.node });
  const shop: V1Pod[] = [
    placed({ namespace: 'production', workload: 'checkout-frontend', node: 'lab-node-1', index: 0 }),
    placed({ namespace: 'production', workload: 'checkout-frontend', node: 'lab-node-2', index: 1 }),
    placed({
      namespace: 'production',
      workload: 'cart-service-v1',
      node: 'lab-node-2',
      index: 2,
      ready: cartReady > 0,
    }),
    placed({
      namespace: 'production',
      workload: 'cart-service-v1',
      node: 'lab-node-3',
      index: 3,
      ready: cartReady > 1,
    }),
    placed({
      namespace: 'production',
      workload: 'cart-service-v2',
      node: 'lab-node-3',
      index: 4,
      ready: options.canaryReady !== false,
    }),
  ];
  const pods = shop.filter((p) => cartReplicas > 0 || !p.metadata?.name?.startsWith('cart-service-v1'));
  const policy = fixture('policies/secure-payment-gateway-same-namespace.yaml') as Record<string, unknown>;
  const metadata = {
    ...(policy.metadata as Record<string, unknown>),
    ...(options.policyChangedAt
      ? { managedFields: [{ manager: 'kubectl', time: options.policyChangedAt }] }
      : { creationTimestamp: '2026-01-01T00:00:00Z' }),
  };
  const read = options.read ?? ['production', 'finance'];
  const inRead = (o: { metadata?: { namespace?: string } }) => read.includes(o.metadata?.namespace ?? '');
  const full: KubeSnapshot = {
    namespaces: read,
    pods: [...pods, placed({ namespace: 'finance', workload: 'payment-processor', node: 'lab-node-1', index: 5 })],
    deployments: [
      deployment('production', 'checkout-frontend', 2, 2),
      deployment('production', 'cart-service-v1', cartReplicas, cartReady),
      deployment('production', 'cart-service-v2', 1, options.canaryReady === false ? 0 : 1),
      deployment('finance', 'payment-processor', 2, 2),
    ],
    slices: [
      slice('production', 'checkout-frontend', 2),
      slice('production', 'cart-service-v1', cartReady, cartReplicas - cartReady),
      slice('production', 'cart-service-v2', 1),
      slice('finance', 'payment-processor', 2),
    ],
    events: options.cartProbe
      ? pods
          .filter(
            (p) =>
              p.metadata?.name?.startsWith('cart-service-v1') &&
              !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          )
          .map((p) => unhealthy('production', p.metadata?.name ?? '', options.cartProbe ?? '', 12))
      : [],
    policies: [{ ...policy, metadata }],
    routes: [
      {
        ...(fixture('route-store-traffic-split.yaml') as Record<string, unknown>),
      },
    ],
    nodes: ['lab-node-1', 'lab-node-2', 'lab-node-3'].map((name) => ({
      metadata: { name },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })),
    namespaceLabels: { production: {}, finance: {} },
    problems: [],
    latencies: [12, 15, 20],
    at: '2026-11-26T03:00:00Z',
  };
  const snapshot: KubeSnapshot = {
    ...full,
    pods: full.pods.filter(inRead),
    deployments: full.deployments.filter(inRead),
    slices: full.slices.filter(inRead),
  };
  const findings = new Findings('kubernetes');
  return result('kubernetes', assembleKube(snapshot, 3_600_000, findings), findings);
}

/** A gather step's results, keyed as the traffic-vanish runbook keys them. */
export function bundle(results: CollectorResult[]): Record<string, Record<string, CollectorResult>> {
  return { gather: Object.fromEntries(results.map((r) => [r.collector, r])) };
}
