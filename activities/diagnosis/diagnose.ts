// The diagnosis: every rule looks at the same signals; their hypotheses are
// ranked by confidence (ties by catalogue order), destructive remediations
// are dropped below 0.5. How far the evidence goes is said as the outcome:
// ranked causes; a failing symptom that nothing explains; or too little
// evidence to tell. `no-fault-found` needs a healthy symptom: an alert that
// nobody could look into is never called "nothing wrong". The rules read
// only what a cluster shows; nightshift's own faults are matched to the
// ranked hypotheses afterwards (attribute.ts) and never move a confidence.
// Same evidence, same answer.
import type { CollectorResult, Diagnosis, DiagnosisOutcome, Hypothesis, Value } from '../../model/index.ts';
import { attribute } from './attribute.ts';
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
  const proposed = RULES.flatMap((rule) => {
    const c = rule(s);
    return c ? [c] : [];
  });
  const subjects = new Map(proposed.map((c) => [c.id, c.subject]));
  const candidates = proposed.map(finish);
  const coverage = ev.coverage();
  const top = candidates.reduce((best, c) => Math.max(best, c.confidence), 0);
  const symptom = symptomOf(s);
  const outcome: DiagnosisOutcome =
    top >= CONFIDENT || symptom === 'healthy' ? 'ranked' : symptom === 'failing' ? 'unexplained' : 'cannot-tell';
  const ranked = outcome === 'cannot-tell' ? [] : rank(candidates);
  const hypotheses = (
    outcome === 'ranked' && top < CONFIDENT ? rank([...ranked, noFaultFound(s, top, coverage)]) : ranked
  ).map((h) => attribute(h, subjects.get(h.id as HypothesisId), s));
  return {
    hypotheses,
    outcome,
    headline: headline(outcome, hypotheses, s, coverage),
    coverage,
    problems: ev.problems,
  };
}

type Symptom = 'failing' | 'healthy' | 'unknown';

/** What the symptom (the probe) says: failing, healthy, or nothing because it gave no evidence. */
function symptomOf(s: Signals): Symptom {
  if (s.symptom.erroring || s.symptom.slow) return 'failing';
  return s.probe ? 'healthy' : 'unknown';
}

function rank(hypotheses: Hypothesis[]): Hypothesis[] {
  return [...hypotheses].sort(
    (a, b) => b.confidence - a.confidence || ORDER.indexOf(a.id as HypothesisId) - ORDER.indexOf(b.id as HypothesisId),
  );
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

/** The service Hubble saw answer with the largest share of 5xx (at least 3 answers, 30 % of them). */
function answeringWorst(s: Signals) {
  const ratio = (h: { errors: number; responses: number }) => h.errors / h.responses;
  return (s.flows?.v.http ?? [])
    .filter((h) => h.responses >= 3 && ratio(h) >= 0.3)
    .sort((a, b) => ratio(b) - ratio(a) || b.errors - a.errors || a.destination.localeCompare(b.destination))[0];
}

function headline(
  outcome: DiagnosisOutcome,
  hypotheses: Hypothesis[],
  s: Signals,
  coverage: { answered: string[]; failed: string[] },
): string {
  const missing = coverage.failed.length ? `no evidence from ${coverage.failed.join(', ')}` : '';
  const lead = hypotheses[0];
  if (outcome === 'cannot-tell') {
    const seen = coverage.answered.length
      ? `; ${coverage.answered.join(', ')} found nothing that explains an alert`
      : '';
    return `Cannot tell: the symptom could not be seen (${missing || 'no probe in this runbook'})${seen}.`;
  }
  if (outcome === 'unexplained') {
    const symptom = s.probe?.findings.find((f) => f.kind.startsWith('probe.') && f.severity !== 'info')?.summary;
    const best = lead ? ` The best lead is weak: ${lead.title} (${percent(lead.confidence)}).` : '';
    const worst = answeringWorst(s);
    const where = worst
      ? `; the service answering worst is ${worst.destination} (${worst.errors} of ${worst.responses} HTTP answers 5xx)`
      : '';
    return `Unexplained: ${symptom ?? 'the symptom fails'}${where}, and nothing gathered explains ${worst ? 'why' : 'it'}${missing ? ` (${missing})` : ''}.${best}`;
  }
  return lead ? `Most likely: ${lead.title} (${percent(lead.confidence)}).` : 'No hypothesis fits the evidence.';
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
  return {
    id: 'no-fault-found',
    title: HYPOTHESES['no-fault-found'],
    // A healthy symptom is positive evidence: at least even odds, more as the
    // other collectors answer and the best competing lead is weaker.
    confidence: clamp(0.5 + 0.5 * (1 - top) * share),
    explanation: `Nothing looks wrong: ${checked.join('; ')}${missing}.`,
    evidence: s.ev
      .findings('probe.healthy', 'flows.clean', 'dns.healthy', 'etcd.healthy', 'node-network.healthy')
      .map((f) => f.ref),
    remediations: [],
  };
}
