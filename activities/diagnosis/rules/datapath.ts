// Hypotheses about packets: lost between two workloads, denied by a policy,
// or lost between particular nodes. They rest on what a cluster shows: the
// connections Hubble saw opened and never answered (a SYN with no SYN-ACK),
// the drops Cilium itself reports (policy), the kubelet's readiness probes
// that time out against running pods, node-to-node connects measured by the
// node agents, and the symptom. nightshift's own faults are not read here.
import { commonNode } from '../../collectors/nodes/pairs.ts';
import {
  CLUSTER_DNS,
  explain,
  explainDirection,
  policyObjects,
  suggestDns,
  suggestScoped,
  toPolicies,
  type Endpoint,
  type Policy,
} from '../../policy/index.ts';
import type { Remediation } from '../../../model/index.ts';
import { unansweredEnough } from '../../hubble/index.ts';
import type { FlowsView } from '../bundle.ts';
import { cordonNode, restorePolicy } from '../remedies.ts';
import { cite, citeKinds, clamp, POLICY_DROPS, type Signals } from '../signals.ts';
import type { Candidate } from './candidate.ts';

type Drop = FlowsView['drops'][number];
type Connections = FlowsView['connections'][number];

/** A pair of workloads whose traffic is lost: connections left unanswered, or packets Cilium dropped. */
export interface Cut {
  source: string;
  destination: string;
  protocol: string;
  port?: number;
  /** Connections opened and never answered, or packets dropped. */
  lost: number;
  /** Connections opened (or packets seen) on the pair. */
  of: number;
  /** Cilium's drop reason, when Cilium reported the loss. */
  reason?: string;
  /** Unanswered connections after the last answered one (a cut that still holds). */
  trailingLoss?: { unanswered: number; since?: string; spanMs?: number };
  nodes: string[];
  /** Seen by the kubelet, not Hubble: its readiness probes time out (one of its messages). */
  probe?: string;
}

const flowText = (c: { source: string; destination: string; protocol: string; port?: number }) =>
  `${c.source} → ${c.destination} ${c.protocol}/${c.port ?? '?'}`;

const namespaceOf = (workload: string) => (workload.includes('/') ? workload.split('/')[0] : undefined);

/**
 * Pairs whose connections go unanswered or whose packets Cilium drops, DNS excluded (it has its own rules);
 * and workloads whose running, unready pods time out the kubelet's readiness probes (from their node).
 */
/**
 * A workload the Kubernetes snapshot has no pod of: connections to its old
 * addresses (a scraper's, a client's stale endpoint list) go nowhere because
 * nothing is there any more, not because the datapath drops them.
 */
function gone(s: Signals, workload: string): boolean {
  const kube = s.kube?.v;
  const [namespace, name] = workload.split('/');
  if (!kube || !name) return false;
  return !kube.pods.some((p) => p.namespace === namespace && p.workload === name);
}

export function cuts(s: Signals): Cut[] {
  const unanswered = (s.flows?.v.connections ?? [])
    .filter((c: Connections) => c.port !== 53)
    .filter(unansweredEnough)
    .filter((c: Connections) => !gone(s, c.destination))
    .map((c): Cut => ({ ...c, lost: c.attempts - c.answered, of: c.attempts }));
  const dropped = dataDrops(s).map((g): Cut => ({ ...g, lost: g.count, of: g.count, reason: g.reason }));
  const seen = new Set([...dropped, ...unanswered].map((c) => `${c.destination} ${c.port}`));
  const probed = probeTimeouts(s).filter((c) => !seen.has(`${c.destination} ${c.port}`));
  return [...dropped, ...unanswered, ...probed].sort(
    (a, b) => b.lost - a.lost || flowText(a).localeCompare(flowText(b)),
  );
}

/** The kubelet's words for a probe that got no answer in time (tcpSocket, httpGet). */
const TIMED_OUT = /i\/o timeout|context deadline exceeded|Client\.Timeout exceeded/;

/**
 * Readiness probes that time out against pods that run but are not ready: the kubelet on their node
 * got no answer, as a packet cut would leave it (a refused connect or a bad status is the process's own).
 * At least 3 failures of a workload's pods in the window.
 */
function probeTimeouts(s: Signals): Cut[] {
  const kube = s.kube?.v;
  if (!kube) return [];
  const byWorkload = new Map<string, Cut>();
  for (const pod of kube.pods) {
    if (pod.ready || !pod.node) continue;
    const failed = kube.events.filter(
      (e) =>
        e.namespace === pod.namespace &&
        e.object === `Pod/${pod.name}` &&
        e.reason === 'Unhealthy' &&
        TIMED_OUT.test(e.message),
    );
    if (failed.length === 0) continue;
    const destination = `${pod.namespace}/${pod.workload}`;
    const count = failed.reduce((sum, e) => sum + e.count, 0);
    const port = Number(/:(\d+)[/:"]/.exec(failed[0]?.message ?? '')?.[1]) || undefined;
    const known = byWorkload.get(destination);
    const nodes = [...new Set([...(known?.nodes ?? []), pod.node])];
    byWorkload.set(destination, {
      source: `kubelet on ${nodes.length > 1 ? 'their nodes' : pod.node}`,
      destination,
      protocol: 'TCP',
      ...(port ? { port } : {}),
      lost: (known?.lost ?? 0) + count,
      of: (known?.of ?? 0) + count,
      nodes,
      probe: failed[0]?.message ?? '',
    });
  }
  return [...byWorkload.values()].filter((c) => c.lost >= 3);
}

/** Packets Cilium reported dropped, DNS excluded. */
export function dataDrops(s: Signals): Drop[] {
  return (s.flows?.v.drops ?? []).filter((g) => g.port !== 53);
}

/** The node every lossy node-to-node pair involves, if any. */
export function suspectNode(s: Signals): string | undefined {
  const lossy = (s.nodes?.v.pairs ?? []).filter((p) => p.lost > 0 && p.lossRatio >= 0.1);
  return commonNode(lossy.map((p) => ({ ...p })));
}

/** The one node that the unanswered connections to two or more workloads all lead to, if any. */
function hotNode(s: Signals): string | undefined {
  const all = cuts(s);
  if (new Set(all.map((c) => c.destination)).size < 2) return undefined;
  const shared = all.map((c) => nodesOf(s, c.destination)).reduce((a, b) => a.filter((n) => b.includes(n)));
  return shared.length === 1 ? shared[0] : undefined;
}

/**
 * The node that explains the loss: the one every lossy node pair involves,
 * or the one the unanswered connections lead to when a lossy pair involves it.
 */
export function lossyNode(s: Signals): string | undefined {
  const suspect = suspectNode(s);
  if (suspect) return suspect;
  const hot = hotNode(s);
  const lossy = (s.nodes?.v.pairs ?? []).filter((p) => p.lost > 0 && p.lossRatio >= 0.1);
  return hot && lossy.some((p) => p.from === hot || p.to === hot) ? hot : undefined;
}

/** The nodes the pods of a workload ("ns/name") run on. */
function nodesOf(s: Signals, workload: string): string[] {
  const [namespace, name] = workload.split('/');
  return [
    ...new Set(
      (s.kube?.v.pods ?? [])
        .filter((p) => p.namespace === namespace && p.workload === name)
        .flatMap((p) => p.node ?? []),
    ),
  ];
}

/** Policies selecting a workload that changed within the last hour, newest first. */
function recentPolicies(s: Signals, workloads: string[]) {
  const now = s.kube ? Date.parse(s.kube.v.at) : Date.now();
  return (s.kube?.v.policies ?? [])
    .filter(
      (p) =>
        p.changedAt &&
        now - Date.parse(p.changedAt) <= 3_600_000 &&
        p.selectsWorkloads.some((w) => workloads.includes(w)),
    )
    .sort((a, b) => (b.changedAt ?? '').localeCompare(a.changedAt ?? ''));
}

/** Evidence ids of the findings behind these cuts. */
function cutRefs(s: Signals, list: Cut[]): string[] {
  return list.flatMap((c) =>
    c.probe
      ? cite(
          s.kube,
          (f) =>
            (f.kind === 'kubernetes.warning-events' && f.summary.includes('Unhealthy')) ||
            (f.kind === 'kubernetes.pods-not-ready' && f.summary.startsWith(c.destination)),
        )
      : cite(
          s.flows,
          (f) =>
            (f.kind === 'flows.unanswered' || f.kind === 'flows.dropped') &&
            f.data?.source === c.source &&
            f.data?.destination === c.destination &&
            f.data?.port === c.port,
        ),
  );
}

export function podToPodDrop(s: Signals): Candidate | undefined {
  const all = cuts(s).filter((c) => !c.reason || !POLICY_DROPS.includes(c.reason));
  const top = all[0];
  if (!top) return undefined;
  const lost = all.reduce((sum, c) => sum + c.lost, 0);
  const suspect = lossyNode(s);
  // Cut pairs whose destination pods all run on the node that loses packets: the node explains them.
  const onSuspect = suspect !== undefined && all.every((c) => nodesOf(s, c.destination).includes(suspect));
  let c = 0.45;
  // Nothing answered (since the loss began): a cut, not congestion.
  if (top.lost === top.of || (top.trailingLoss?.unanswered ?? 0) >= 3) c += 0.1;
  if (s.symptom.erroring) c += 0.2;
  if (top.lost / lost >= 0.6) c += 0.1;
  if (!suspect && citeKinds(s, 'dns.loss').length === 0) c += 0.05;
  if (onSuspect) c -= 0.35;
  const destinations = new Set(all.map((x) => x.destination)).size;
  if (!suspect && destinations >= 3) c -= 0.15; // loss towards everything looks like a node or the network
  // Only the kubelet saw it: a process that hangs (a full accept queue) times its probes out too.
  if (top.probe) c -= 0.15;
  const policies = recentPolicies(s, [top.source, top.destination]);
  const remediations: Remediation[] = policies.slice(0, 1).map((p) => restorePolicy(p.kind, p.namespace, p.objectName));
  const main = all.filter((x) => x.lost >= top.lost * 0.2).slice(0, 3);
  const how = top.reason
    ? `${top.lost} packet(s) ${flowText(top)} were dropped (${top.reason})`
    : top.probe
      ? `${top.destination}'s running pods do not answer the ${top.source}: ${top.lost} readiness probe(s) on ${top.protocol}/${top.port ?? '?'} timed out ("${top.probe}"), so its Service has no ready endpoints and nothing else reaches it`
      : `${top.lost} of ${top.of} connection(s) ${flowText(top)} got no answer`;
  const symptom = s.symptom.erroring ? ' while the checkout probe fails' : '';
  const caveat = onSuspect ? `; but those pods run on node ${suspect}, which loses packets to its peers` : '';
  return {
    id: 'pod-to-pod-drop',
    confidence: clamp(c),
    explanation: `Packets between workloads are lost: ${how}${symptom}${caveat}.`,
    evidence: [...cutRefs(s, main), ...s.symptom.refs],
    remediations,
    subject: {
      kind: 'drop',
      on: 'workload',
      namespaces: [namespaceOf(top.source), namespaceOf(top.destination)].flatMap((n) => n ?? []),
      ...(top.port ? { port: top.port } : {}),
      protocol: top.protocol,
    },
  };
}

/** A workload's labels: from a pod of it in the Kubernetes evidence, else from the identity Hubble reported for it. */
function labelsOf(s: Signals, workload: string): Record<string, string> | undefined {
  const [namespace, name] = workload.split('/');
  const pod = s.kube?.v.pods.find((p) => p.namespace === namespace && p.workload === name);
  if (pod) return pod.labels;
  for (const d of s.flows?.v.drops ?? []) {
    if (d.source === workload && d.sourceLabels) return d.sourceLabels;
    if (d.destination === workload && d.destinationLabels) return d.destinationLabels;
  }
  return undefined;
}

/** Ask the analyser whether the policies in the evidence deny the flows that are lost. */
export function policyDenies(s: Signals): Candidate | undefined {
  const kube = s.kube?.v;
  if (!kube || kube.policies.length === 0) return undefined;
  const objects = kube.policies.map((p) => p.object);
  const policies = toPolicies(policyObjects(objects).objects).policies;
  const endpoint = (name: string): Endpoint | undefined => {
    const [namespace] = name.split('/');
    const labels = labelsOf(s, name);
    return labels && namespace
      ? { namespace, labels, namespaceLabels: kube.namespaceLabels[namespace] ?? {}, external: false }
      : undefined;
  };
  for (const g of cuts(s).slice(0, 3)) {
    const from = endpoint(g.source);
    const to = endpoint(g.destination);
    if (!from || !to || !g.port) continue;
    const protocol = g.protocol === 'UDP' ? 'UDP' : g.protocol === 'SCTP' ? 'SCTP' : 'TCP';
    const flow = { from, to, port: g.port, protocol } as const;
    const answer = explain(flow, policies);
    if (answer.verdict !== 'denied') continue;
    const deciding = answer.ingress.verdict === 'denied' ? answer.ingress : answer.egress;
    // Cilium saying so itself outweighs the analyser reading the policies.
    const byPolicy = g.reason !== undefined && POLICY_DROPS.includes(g.reason);
    const names = deciding.rule ? [deciding.rule.split(' spec')[0] ?? deciding.rule] : deciding.selectedBy;
    const involved = kube.policies.filter((p) => names.includes(p.name));
    const now = Date.parse(kube.at);
    const changed = involved.filter((p) => p.changedAt && now - Date.parse(p.changedAt) <= 3_600_000);
    let c = byPolicy ? 0.75 : 0.5;
    if (changed.length) c += 0.1;
    if (s.symptom.erroring) c += 0.1;
    const target = involved[0];
    const seen = byPolicy ? `Cilium drops ${flowText(g)} (${g.reason})` : `${flowText(g)} goes unanswered`;
    const missed = deciding.considered.filter((r) => !r.matched).map((r) => `${r.rule} does not match: ${r.why}`);
    const dns = dnsDenied(s, g.destination, to, policies, objects) ?? dnsDenied(s, g.source, from, policies, objects);
    const fixes = [
      deciding.reason === 'default-deny' ? suggestScoped(deciding.direction, flow, policies, objects) : undefined,
      dns?.suggestion,
    ].flatMap((x) => x ?? []);
    const when = changed[0]?.changedAt ? ` (changed at ${changed[0].changedAt})` : '';
    return {
      id: 'policy-denies',
      confidence: clamp(c),
      explanation: [
        `${seen}, and the policies in the cluster deny it: ${deciding.sentence}${when}.`,
        ...missed.map((m) => `${m}.`),
        ...(dns ? [dns.sentence] : []),
        ...fixes.map((f) => `Suggested: in ${f.policy}, ${f.change}: ${f.path} = ${f.yaml}.`),
      ].join(' '),
      evidence: [
        ...cutRefs(s, [g]),
        ...(dns?.refs ?? []),
        ...cite(
          s.kube,
          (f) =>
            f.kind === 'kubernetes.policies' ||
            (f.kind === 'kubernetes.policy-changed' && names.some((n) => f.summary.includes(n))),
        ),
      ],
      remediations: target ? [restorePolicy(target.kind, target.namespace, target.objectName)] : [],
    };
  }
  return undefined;
}

/** The denied workload's own DNS lookups, when its policy leaves DNS out: Cilium's drops on port 53 and a rule to add. */
function dnsDenied(s: Signals, name: string, who: Endpoint, policies: Policy[], objects: unknown[]) {
  const lookup = explainDirection('egress', { from: who, to: CLUSTER_DNS, port: 53, protocol: 'UDP' }, policies);
  if (lookup.verdict !== 'denied') return undefined;
  const drops = (s.flows?.v.drops ?? []).filter(
    (d) => d.port === 53 && d.source === name && POLICY_DROPS.includes(d.reason),
  );
  const seen = drops.length ? ` (Cilium dropped ${drops.reduce((n, d) => n + d.count, 0)} of its lookups)` : '';
  return {
    sentence: `${name}'s own DNS lookups are denied too${seen}: ${lookup.sentence}.`,
    suggestion: suggestDns(who, policies, objects),
    refs: cite(s.flows, (f) => f.kind === 'flows.dropped' && f.data?.source === name && f.data?.port === 53),
  };
}

export function nodeNetworkLoss(s: Signals): Candidate | undefined {
  const pairs = s.nodes?.v.pairs ?? [];
  const lossy = pairs.filter((p) => p.lost > 0 && p.lossRatio >= 0.1);
  const suspect = suspectNode(s);
  // Unanswered connections towards pods of several workloads that all run on one node.
  const hot = hotNode(s);
  if (lossy.length === 0 && !hot) return undefined;
  const node = suspect ?? hot;
  let c = lossy.length ? 0.45 : 0.3;
  if (suspect) c += 0.25;
  else if (lossy.length) c += 0.05;
  if (hot && (!suspect || hot === suspect)) c += 0.1;
  if (s.symptom.erroring || s.symptom.slow) c += 0.05;
  if (node && s.kube?.v.nodes.some((n) => n.name === node && !n.ready)) c += 0.05;
  const worst = [...lossy].sort((a, b) => b.lossRatio - a.lossRatio)[0];
  const pairText = worst ? `${worst.from} → ${worst.to} lost ${worst.lost} of ${worst.attempts} connects` : '';
  return {
    id: 'node-network-loss',
    confidence: clamp(c),
    explanation: node
      ? `Packet loss follows node ${node}: ${lossy.length} of ${pairs.length} node pairs lose TCP connects${pairText ? ` (${pairText})` : ''}${hot === node ? ', and connections to workloads on it go unanswered' : ''}.`
      : `${lossy.length} node pair(s) lose packets (${pairText}), with no single node in common.`,
    evidence: [...citeKinds(s, 'node-network.node-suspect', 'node-network.loss'), ...s.symptom.refs],
    remediations: node ? [cordonNode(node)] : [],
    ...(node ? { subject: { kind: 'drop', on: 'node', node } } : {}),
  };
}
