// Hypotheses about services: a failing canary behind an HTTPRoute, a Service
// with no ready endpoints, a workload that answers slowly without loss.
import type { KubeView } from '../bundle.ts';
import { rollback, shiftRoute } from '../remedies.ts';
import { cite, citeKinds, clamp, type Signals } from '../signals.ts';
import type { Candidate } from './candidate.ts';
import { cuts } from './datapath.ts';

type Route = KubeView['routes'][number];
const pct = (x: number) => `${Math.round(x * 100)}%`;

export function canaryFailing(s: Signals): Candidate | undefined {
  const routes = s.kube?.v.routes ?? [];
  const http = s.flows?.v.http ?? [];
  const errorRatio = s.probe?.v.errorRatio ?? 0;
  let best: Candidate | undefined;
  for (const route of routes) {
    for (const rule of route.rules) {
      if (!rule.split) continue;
      const candidate = judgeSplit(s, route, rule.split, rule.backends, http, errorRatio);
      if (candidate && (!best || candidate.confidence > best.confidence)) best = candidate;
    }
  }
  return best;
}

function judgeSplit(
  s: Signals,
  route: Route,
  split: { stable: string; canaries: string[] },
  backends: Route['rules'][number]['backends'],
  http: NonNullable<Signals['flows']>['v']['http'],
  errorRatio: number,
): Candidate | undefined {
  const ns = route.namespace;
  const stats = (name: string) => http.find((h) => h.destination === `${ns}/${name}`);
  const ratio = (h: { errors: number; responses: number } | undefined) =>
    h && h.responses > 0 ? h.errors / h.responses : undefined;
  const canaryShare = backends.filter((b) => split.canaries.includes(b.name)).reduce((sum, b) => sum + b.share, 0);
  const failingCanary = split.canaries.find(
    (name) => (ratio(stats(name)) ?? 0) >= 0.3 && (stats(name)?.responses ?? 0) >= 3,
  );
  const stableRatio = ratio(stats(split.stable));
  const unwell =
    s.kube?.v.pods.filter(
      (p) => p.namespace === ns && split.canaries.includes(p.workload) && (!p.ready || p.restarts > 0),
    ) ?? [];
  const fits = s.symptom.erroring && Math.abs(errorRatio - canaryShare) <= Math.max(0.05, canaryShare * 0.6);

  let c = 0;
  if (failingCanary && (stableRatio ?? 0) < 0.05) c = 0.75;
  else if (failingCanary) c = 0.5;
  if (s.symptom.erroring) c += c ? 0.1 : fits ? 0.45 : 0;
  if (fits) c += 0.1;
  if (unwell.length) c += 0.1;
  // Lost connections or DNS loss may explain the failures instead.
  if (cuts(s).length || citeKinds(s, 'dns.loss').length) c -= 0.2;
  if (c < 0.3) return undefined;

  const canary = failingCanary ?? split.canaries[0] ?? '?';
  const parts = [
    failingCanary
      ? `${pct(ratio(stats(failingCanary)) ?? 0)} of ${failingCanary}'s HTTP answers are 5xx${stableRatio !== undefined ? ` against ${pct(stableRatio)} for ${split.stable}` : ''}`
      : '',
    s.symptom.erroring
      ? `the probe fails ${pct(errorRatio)} of requests, close to the canary's ${pct(canaryShare)} share of HTTPRoute ${ns}/${route.name}`
      : '',
    unwell.length ? `${unwell.length} ${canary} pod(s) unready or restarting` : '',
  ].filter(Boolean);
  return {
    id: 'canary-failing',
    confidence: clamp(c),
    explanation: `The canary ${canary} fails: ${parts.join('; ')}.`,
    evidence: [
      ...cite(
        s.flows,
        (f) => f.kind === 'flows.http-errors' && split.canaries.some((n) => f.summary.startsWith(`${ns}/${n}`)),
      ),
      ...cite(s.kube, (f) => f.kind === 'kubernetes.route' && f.summary.includes(`${ns}/${route.name}`)),
      ...s.symptom.refs,
    ],
    remediations: [shiftRoute(ns, route.name, split.stable)],
  };
}

export function endpointsEmpty(s: Signals): Candidate | undefined {
  const kube = s.kube?.v;
  const empty = (kube?.services ?? []).filter((svc) => svc.ready === 0);
  if (!kube || empty.length === 0) return undefined;
  const first = empty[0] as (typeof empty)[number];
  const workload = kube.workloads.find((w) => w.namespace === first.namespace && w.name === first.name);
  const pods = kube.pods.filter((p) => p.namespace === first.namespace && p.workload === first.name);
  let c = 0.55;
  if (s.symptom.erroring) c += 0.2;
  // The cause: no pods at all (scaled to zero, deleted) or pods that crash.
  const noPods = pods.length === 0 || (workload !== undefined && workload.replicas === 0);
  const crashing = pods.some((p) => p.restarts > 0);
  if (noPods || crashing) c += 0.1;
  // A consequence: running pods cut off by lost packets also fail their readiness probes.
  const name = `${first.namespace}/${first.name}`;
  const cutOff = !noPods && !crashing && cuts(s).some((g) => g.destination === name);
  if (cutOff) c -= 0.35;
  return {
    id: 'endpoints-empty',
    confidence: clamp(c),
    explanation: `Service ${first.namespace}/${first.name} has no ready endpoints (${first.notReady} not ready)${empty.length > 1 ? `, and ${empty.length - 1} more Service(s) have none` : ''}${workload ? `; its Deployment has ${workload.ready}/${workload.replicas} ready` : ''}${noPods ? ', and no pods at all' : crashing ? ', and its pods restart' : ''}${cutOff ? '; but its pods run and connections to them go unanswered: lost packets also fail readiness probes' : ''}.`,
    evidence: [
      ...citeKinds(s, 'kubernetes.endpoints-empty', 'kubernetes.pods-not-ready', 'kubernetes.workload-degraded'),
      ...s.symptom.refs,
    ],
    remediations: workload ? [rollback(workload.namespace, workload.name)] : [],
  };
}

export function serviceLatency(s: Signals): Candidate | undefined {
  if (!s.symptom.slow) return undefined;
  const p = s.probe?.v;
  let c = 0.5;
  const clean = cuts(s).length === 0 && citeKinds(s, 'dns.loss').length === 0;
  if (clean) c += 0.15;
  if (p && p.summary.successRate < 0.5) c -= 0.1;
  const slowHttp = [...(s.flows?.v.http ?? [])]
    .filter((h) => h.p95Ms !== undefined)
    .sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))[0];
  const dnsLone = (s.dns?.v.targets ?? []).filter(
    (t) => t.answeredP95Ms !== undefined && t.answeredP95Ms > (s.dns?.v.slowMs ?? 50),
  );
  const slowFrom = [...new Set(dnsLone.map((t) => t.workload ?? t.from))];
  if (slowFrom.length === 1 && (s.dns?.v.coredns ?? []).every((cd) => (cd.p95Ms ?? 0) <= (s.dns?.v.slowMs ?? 50)))
    c += 0.05;
  // Cause before consequence: lookups slow from several workloads slow every request that resolves a name
  // (their typical lookup, not a busy moment's tail).
  const typicalSlowFrom = new Set(
    dnsLone.filter((t) => (t.p50Ms ?? 0) > (s.dns?.v.slowMs ?? 50)).map((t) => t.workload ?? t.from),
  );
  const dnsEverywhere = typicalSlowFrom.size >= 2;
  if (dnsEverywhere) c -= 0.2;
  const parts = [
    p
      ? `the probe's p95 is ${p.summary.p95Ms} ms${p.typicalP95Ms !== undefined ? ` (typical second ${p.typicalP95Ms} ms)` : ''}${p.baseline ? ` against ${p.baseline.p95Ms} ms before` : ''}`
      : 'the probe is slow',
    clean && s.flows ? 'with every connection answered' : '',
    clean && s.dns ? 'DNS answering' : '',
    slowHttp?.p95Ms ? `the slowest HTTP server seen is ${slowHttp.destination} (p95 ${slowHttp.p95Ms} ms)` : '',
    slowFrom.length === 1 ? `only ${slowFrom[0]}'s own lookups are slow, so its network path is delayed` : '',
    dnsEverywhere
      ? `but lookups from ${typicalSlowFrom.size} workloads are slow too, which slows every request that resolves a name`
      : '',
  ].filter(Boolean);
  return {
    id: 'service-latency',
    confidence: clamp(c),
    explanation: `Requests are slow but not lost: ${parts.join('; ')}.`,
    evidence: [...s.symptom.refs, ...citeKinds(s, 'dns.slow')],
    remediations: [],
    subject: { kind: 'delay' },
  };
}
