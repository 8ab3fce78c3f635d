// Hypotheses about packets: dropped between two workloads, denied by a
// policy, or lost between particular nodes.
import { commonNode } from '../../collectors/nodes/pairs.ts';
import { explain, policyObjects, toPolicies, type Endpoint } from '../../policy/index.ts';
import type { Remediation } from '../../../model/index.ts';
import type { FlowsView } from '../bundle.ts';
import { citeFaults, cordonNode, matchingFaults, restorePolicy, stopFault } from '../remedies.ts';
import { cite, citeKinds, clamp, DECISIVE_DROPS, type Signals } from '../signals.ts';
import type { Candidate } from './candidate.ts';

type Drop = FlowsView['drops'][number];

const reasonWords = (r: string) =>
  r === 'NIGHTSHIFT_CHAOS_FAULT'
    ? 'a nightshift fault'
    : r === 'POLICY_DENIED' || r === 'POLICY_DENY'
      ? 'a network policy'
      : r;
const flowText = (g: Drop) => `${g.source} → ${g.destination} ${g.protocol}/${g.port ?? '?'}`;
const dropRefs = (s: Signals, groups: Drop[]) =>
  groups.flatMap((g) =>
    cite(
      s.flows,
      (f) =>
        (f.kind === 'flows.dropped' || f.kind === 'flows.dns-dropped') &&
        f.data?.source === g.source &&
        f.data?.destination === g.destination &&
        f.data?.port === g.port &&
        f.data?.reason === g.reason,
    ),
  );

/** Data-path drops, DNS excluded (it has its own hypotheses). */
export function dataDrops(s: Signals): Drop[] {
  return (s.flows?.v.drops ?? []).filter((g) => g.port !== 53);
}

/** The node every lossy node-to-node pair involves, if any. */
export function suspectNode(s: Signals): string | undefined {
  const lossy = (s.nodes?.v.pairs ?? []).filter((p) => p.lost > 0 && p.lossRatio >= 0.1);
  return commonNode(lossy.map((p) => ({ ...p })));
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

export function podToPodDrop(s: Signals): Candidate | undefined {
  const drops = dataDrops(s);
  const total = drops.reduce((sum, g) => sum + g.count, 0);
  const top = drops[0];
  if (!top || total < 5) return fromActiveFault(s);
  const decisive = drops.filter((g) => DECISIVE_DROPS.includes(g.reason)).reduce((sum, g) => sum + g.count, 0);
  const topShare = top.count / total;
  const suspect = suspectNode(s);
  const onSuspect = suspect !== undefined && drops.every((g) => g.nodes.includes(suspect));
  const destinations = new Set(drops.map((g) => g.destination)).size;
  let c = 0.45;
  // Drops nightshift or a policy made explain an outage; the kernel's own
  // (a full backlog or qdisc on a busy node) come and go with load.
  if (decisive / total >= 0.5) c += 0.1;
  else c -= 0.1;
  // Policy drops are better explained by policy-denies, which names the rule.
  if (top.reason === 'POLICY_DENIED' || top.reason === 'POLICY_DENY') c -= 0.1;
  if (s.symptom.erroring) c += 0.2;
  if (topShare >= 0.6) c += 0.1;
  if (!suspect && citeKinds(s, 'dns.loss').length === 0) c += 0.05;
  if (onSuspect) c -= 0.35;
  if (!suspect && destinations >= 3 && Object.keys(s.flows?.v.dropsByNode ?? {}).length === 1) c -= 0.2;
  // Every drop on a node whose own interface carries a drop fault: the node explains them.
  const faultedNode = onSuspect
    ? undefined
    : top.nodes.find(
        (n) =>
          drops.every((g) => g.nodes.includes(n)) &&
          matchingFaults(s, { kind: 'drop', on: 'node', node: n }).length > 0,
      );
  if (faultedNode) c -= 0.2;
  const namespace = top.source.includes('/') ? top.source.split('/')[0] : top.destination.split('/')[0];
  const faults = matchingFaults(s, {
    kind: 'drop',
    on: 'workload',
    ...(namespace ? { namespace } : {}),
    ...(top.port ? { port: top.port } : {}),
    protocol: top.protocol,
  });
  if (faults.length) c += 0.05;
  const policies = recentPolicies(s, [top.source, top.destination]);
  const remediations: Remediation[] = [
    ...faults.map(stopFault),
    ...policies.slice(0, 1).map((p) => restorePolicy(p.kind, p.namespace, p.objectName)),
  ];
  const main = drops.filter((g) => g.count >= top.count * 0.2).slice(0, 3);
  const why = `${top.count} of ${total} dropped flows go ${flowText(top)}, dropped by ${reasonWords(top.reason)}`;
  const symptom = s.symptom.erroring ? ' while the checkout probe fails' : '';
  const caveat = onSuspect
    ? `; but every drop passes node ${suspect}, which loses packets to all its peers`
    : faultedNode
      ? `; but every drop happens on node ${faultedNode}, whose own interface carries a nightshift drop fault`
      : '';
  return {
    id: 'pod-to-pod-drop',
    confidence: clamp(c),
    explanation: `${why}${symptom}${faults.length ? ` (nightshift fault ${faults.join(', ')} is active)` : ''}${caveat}.`,
    evidence: [...dropRefs(s, main), ...s.symptom.refs, ...citeFaults(s, faults)],
    remediations,
  };
}

/** Ask the analyser whether the policies in the evidence deny the top failing flows. */
export function policyDenies(s: Signals): Candidate | undefined {
  const kube = s.kube?.v;
  if (!kube || kube.policies.length === 0) return undefined;
  const policies = toPolicies(policyObjects(kube.policies.map((p) => p.object)).objects).policies;
  const endpoint = (name: string): Endpoint | undefined => {
    const [namespace, workload] = name.split('/');
    const pod = kube.pods.find((p) => p.namespace === namespace && p.workload === workload);
    return pod && namespace
      ? { namespace, labels: pod.labels, namespaceLabels: kube.namespaceLabels[namespace] ?? {}, external: false }
      : undefined;
  };
  for (const g of dataDrops(s).slice(0, 3)) {
    const from = endpoint(g.source);
    const to = endpoint(g.destination);
    if (!from || !to || !g.port) continue;
    const protocol = g.protocol === 'UDP' ? 'UDP' : g.protocol === 'SCTP' ? 'SCTP' : 'TCP';
    const answer = explain({ from, to, port: g.port, protocol }, policies);
    if (answer.verdict !== 'denied') continue;
    const deciding = answer.ingress.verdict === 'denied' ? answer.ingress : answer.egress;
    const byPolicy = g.reason === 'POLICY_DENIED' || g.reason === 'POLICY_DENY';
    const changed = recentPolicies(s, [g.source, g.destination]);
    let c = byPolicy ? 0.75 : g.reason === 'NIGHTSHIFT_CHAOS_FAULT' ? 0.35 : 0.5;
    if (changed.length) c += 0.1;
    if (s.symptom.erroring) c += 0.1;
    const names = deciding.rule ? [deciding.rule.split(' spec')[0] ?? deciding.rule] : deciding.selectedBy;
    const target = kube.policies.find((p) => names.some((n) => n === p.name));
    return {
      id: 'policy-denies',
      confidence: clamp(c),
      explanation: `The policies in the cluster deny ${flowText(g)}: ${deciding.sentence}${g.reason === 'NIGHTSHIFT_CHAOS_FAULT' ? ' (though these drops came from a nightshift fault)' : ''}.`,
      evidence: [
        ...dropRefs(s, [g]),
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

export function nodeNetworkLoss(s: Signals): Candidate | undefined {
  const pairs = s.nodes?.v.pairs ?? [];
  const lossy = pairs.filter((p) => p.lost > 0 && p.lossRatio >= 0.1);
  const suspect = suspectNode(s);
  const byNode = Object.entries(s.flows?.v.dropsByNode ?? {}).sort((a, b) => b[1] - a[1]);
  const dropTotal = byNode.reduce((sum, [, n]) => sum + n, 0);
  const [hotNode, hotCount = 0] = byNode[0] ?? [];
  const concentrated =
    dropTotal >= 5 && hotCount / dropTotal >= 0.7 && new Set(dataDrops(s).map((g) => g.destination)).size >= 2;
  if (lossy.length === 0 && !concentrated) return undefined;
  const node = suspect ?? (concentrated ? hotNode : undefined);
  let c = lossy.length ? 0.45 : 0.3;
  if (suspect) c += 0.25;
  else if (lossy.length) c += 0.05;
  if (concentrated && (!suspect || hotNode === suspect)) c += 0.1;
  if (s.symptom.erroring || s.symptom.slow) c += 0.05;
  if (node && s.kube?.v.nodes.some((n) => n.name === node && !n.ready)) c += 0.05;
  // Only faults on this node's own interface: a workload's fault elsewhere is not this node's to stop.
  const faults = node ? matchingFaults(s, { kind: 'drop', on: 'node', node }) : [];
  const faultOnNode = faults.length > 0;
  if (faultOnNode) c += 0.1;
  const worst = [...lossy].sort((a, b) => b.lossRatio - a.lossRatio)[0];
  const pairText = worst ? `${worst.from} → ${worst.to} lost ${worst.lost} of ${worst.attempts} connects` : '';
  return {
    id: 'node-network-loss',
    confidence: clamp(c),
    explanation: node
      ? `Packet loss follows node ${node}: ${lossy.length} of ${pairs.length} node pairs lose TCP connects (${pairText})${concentrated && hotNode === node ? `, and ${hotCount} of ${dropTotal} dropped flows were seen there` : ''}${faultOnNode ? `; a nightshift drop fault holds on its interface` : ''}.`
      : `${lossy.length} node pair(s) lose packets (${pairText}), with no single node in common.`,
    evidence: [
      ...citeKinds(s, 'node-network.node-suspect', 'node-network.loss'),
      ...s.symptom.refs,
      ...citeFaults(s, faults),
    ],
    remediations: [...faults.map(stopFault), ...(node ? [cordonNode(node)] : [])],
  };
}

/**
 * Without flow evidence (no relay, or it answered nothing), an active
 * nightshift drop fault on workloads, with the probe failing, still points here.
 */
function fromActiveFault(s: Signals): Candidate | undefined {
  if (!s.symptom.erroring) return undefined;
  const faults = (s.faults?.v.active ?? []).filter((f) => f.kind === 'drop' && f.namespace && f.ports !== '53');
  const f = faults[0];
  if (!f) return undefined;
  const quiet = s.flows === undefined || (s.flows.v.byVerdict.DROPPED ?? 0) === 0;
  return {
    id: 'pod-to-pod-drop',
    confidence: clamp(quiet ? 0.6 : 0.45),
    explanation: `nightshift fault ${f.faultId} drops ${f.protocol ?? ''}${f.ports ? `/${f.ports}` : ''} ${f.direction ?? ''} traffic of ${f.namespace}/${f.selector ?? '*'} while the checkout probe fails${s.flows ? '' : ' (no flow evidence to confirm it)'}.`,
    evidence: [
      ...citeFaults(
        s,
        faults.map((x) => x.faultId),
      ),
      ...s.symptom.refs,
    ],
    remediations: faults.map((x) => stopFault(x.faultId)),
  };
}
