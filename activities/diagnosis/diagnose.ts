// The diagnosis: every rule looks at the same signals; their hypotheses are
// ranked by confidence (ties by catalogue order), destructive remediations
// are dropped below 0.5, and when nothing stands out the answer is
// `no-fault-found` with what was checked. Same evidence, same answer.
import type { CollectorResult, Diagnosis, Hypothesis, Value } from '../../model/index.ts';
import { Evidence, locate } from './bundle.ts';
import { CONFIDENT, HYPOTHESES, type HypothesisId } from './catalogue.ts';
import type { Candidate, Rule } from './rules/candidate.ts';
import { nodeNetworkLoss, podToPodDrop, policyDenies } from './rules/datapath.ts';
import { dnsLoss, dnsSlow } from './rules/dns.ts';
import { etcdUnhealthy } from './rules/etcd.ts';
import { canaryFailing, endpointsEmpty, serviceLatency } from './rules/service.ts';
import { clamp, readSignals, type Signals } from './signals.ts';

export const RULES: Rule[] = [
  podToPodDrop,
  policyDenies,
  dnsLoss,
  dnsSlow,
  nodeNetworkLoss,
  etcdUnhealthy,
  canaryFailing,
  endpointsEmpty,
  serviceLatency,
];

const ORDER = Object.keys(HYPOTHESES) as HypothesisId[];

export interface DiagnosisDetail extends Diagnosis {
  /** Collectors that answered and those that did not. */
  coverage: { answered: string[]; failed: string[] };
  /** Evidence the diagnosis could not read. */
  problems: string[];
}

export function diagnose(
  bundle: Record<string, Record<string, CollectorResult>>,
  params: Record<string, Value> = {},
): DiagnosisDetail {
  const ev = new Evidence(locate(bundle));
  const s = readSignals(ev, params);
  const candidates = RULES.flatMap((rule) => {
    const c = rule(s);
    return c ? [finish(c)] : [];
  });
  candidates.sort(
    (a, b) => b.confidence - a.confidence || ORDER.indexOf(a.id as HypothesisId) - ORDER.indexOf(b.id as HypothesisId),
  );
  const top = candidates[0]?.confidence ?? 0;
  const coverage = ev.coverage();
  const hypotheses = top >= CONFIDENT ? candidates : [noFaultFound(s, top, coverage), ...candidates];
  return { hypotheses, coverage, problems: ev.problems };
}

function finish(c: Candidate): Hypothesis {
  return {
    id: c.id,
    title: HYPOTHESES[c.id],
    confidence: c.confidence,
    explanation: c.explanation,
    evidence: [...new Set(c.evidence)],
    // A destructive remediation is never offered on a hypothesis below 0.5.
    remediations: c.remediations.filter((r) => !r.destructive || c.confidence >= CONFIDENT),
  };
}

function noFaultFound(s: Signals, top: number, coverage: { answered: string[]; failed: string[] }): Hypothesis {
  const total = coverage.answered.length + coverage.failed.length;
  const share = total ? coverage.answered.length / total : 0;
  const symptom = s.symptom.erroring || s.symptom.slow;
  const checked = [
    s.probe
      ? `probe ${Math.round(s.probe.v.summary.successRate * 1000) / 10}% success, p95 ${s.probe.v.summary.p95Ms} ms`
      : '',
    s.flows ? `${s.flows.v.flows} flows, ${s.flows.v.byVerdict.DROPPED ?? 0} dropped` : '',
    s.dns
      ? `${s.dns.v.targets.reduce((n, t) => n + t.samples, 0)} DNS lookups, ${s.dns.v.targets.reduce((n, t) => n + t.timeouts, 0)} lost`
      : '',
    s.etcd ? `etcd ${s.etcd.v.quorum.reachable}/${s.etcd.v.quorum.total} members reachable` : '',
    s.nodes ? `${s.nodes.v.pairs.length} node pairs measured` : '',
  ].filter(Boolean);
  const missing = coverage.failed.length ? `; no evidence from ${coverage.failed.join(', ')}` : '';
  const confidence = symptom ? 0.2 : clamp((1 - top) * (0.5 + 0.5 * share));
  const explanation = symptom
    ? `The probe shows a problem but no collector found its cause (${checked.join('; ')}${missing}).`
    : `Nothing looks wrong: ${checked.join('; ') || 'no evidence gathered'}${missing}.`;
  return {
    id: 'no-fault-found',
    title: HYPOTHESES['no-fault-found'],
    confidence,
    explanation,
    evidence: s.ev
      .findings('probe.healthy', 'flows.clean', 'dns.healthy', 'etcd.healthy', 'node-network.healthy', 'faults.none')
      .map((f) => f.ref),
    remediations: [],
  };
}
