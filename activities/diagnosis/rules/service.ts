// Hypotheses about services: a failing canary behind an HTTPRoute, a Service
// with no ready endpoints, a workload that answers slowly without loss.
import type { KubeView } from '../bundle.ts';
import { rollback, shiftRoute } from '../remedies.ts';
import { cite, citeKinds, clamp, lookupMs, type Signals } from '../signals.ts';
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

export interface SlowOrigin {
  server: string;
  p95Ms: number;
  /** The other slow servers: their answers may wait on it (a caller's time holds its callee's). */
  others: string[];
  /** The typical lookup from its own pods, when measured. */
  lookupP50Ms?: number;
}

/**
 * Where slow answers start, as Hubble's L7 answer times show it (timed at
 * the server from a request's arrival: its clients' lookups and connects are
 * not in them). Among the servers that answer slowly, one whose own calls
 * answer fast and whose own typical lookup is too quick to make up its time
 * (under a third of it) is where time is spent; when there are two or more
 * slow servers, the fastest such one is the deepest (a caller's time holds
 * its callee's, across proxies Hubble cannot time). A lone slow server may
 * just be the entry, slow for whatever its requests wait on: no origin.
 */
/** Fewer answers than this make no p95 to go by (one slow answer is not a slow server). */
const MIN_ANSWERS = 5;

export function slowOrigin(s: Signals): SlowOrigin | undefined {
  const p = s.probe?.v;
  const added = p ? p.summary.p95Ms - (p.baseline?.p95Ms ?? 0) : 0;
  const slowMs = Math.max(100, added / 2);
  const slow = (s.flows?.v.http ?? []).filter(
    (h): h is typeof h & { p95Ms: number } => h.p95Ms !== undefined && h.p95Ms >= slowMs && h.responses >= MIN_ANSWERS,
  );
  if (slow.length < 2) return undefined;
  const slowNames = new Set(slow.map((h) => h.destination));
  const pairs = s.flows?.v.pairs ?? [];
  const lookups = s.dns?.v.targets ?? [];
  const origins: SlowOrigin[] = [];
  for (const h of slow) {
    const slowCallee = pairs.some(
      (x) => x.source === h.destination && x.destination !== h.destination && slowNames.has(x.destination),
    );
    if (slowCallee) continue;
    const own = lookups.filter((t) => t.workload === h.destination && t.p50Ms !== undefined);
    const lookupP50Ms = own.length ? Math.max(...own.map((t) => lookupMs(t).p50 ?? 0)) : undefined;
    if (lookupP50Ms !== undefined && lookupP50Ms * 3 >= h.p95Ms) continue;
    const others = [...slowNames].filter((n) => n !== h.destination);
    origins.push({
      server: h.destination,
      p95Ms: h.p95Ms,
      others,
      ...(lookupP50Ms === undefined ? {} : { lookupP50Ms }),
    });
  }
  return origins.sort((a, b) => a.p95Ms - b.p95Ms || a.server.localeCompare(b.server))[0];
}

const ms = (x: number) => Math.round(x);

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
  const dnsLone = (s.dns?.v.targets ?? []).filter((t) => (lookupMs(t).p95 ?? 0) > (s.dns?.v.slowMs ?? 50));
  const slowFrom = [...new Set(dnsLone.map((t) => t.workload ?? t.from))];
  if (slowFrom.length === 1 && (s.dns?.v.coredns ?? []).every((cd) => (cd.p95Ms ?? 0) <= (s.dns?.v.slowMs ?? 50)))
    c += 0.05;
  // Cause before consequence: lookups slow from several workloads slow every request that resolves a name
  // (their typical lookup, not a busy moment's tail).
  const typicalSlowFrom = new Set(
    dnsLone.filter((t) => (lookupMs(t).p50 ?? 0) > (s.dns?.v.slowMs ?? 50)).map((t) => t.workload ?? t.from),
  );
  // ... unless the time is spent inside one server, which its own lookups cannot make up.
  const origin = slowOrigin(s);
  if (origin) c += 0.1;
  const dnsEverywhere = typicalSlowFrom.size >= 2 && !origin;
  if (dnsEverywhere) c -= 0.2;
  const parts = [
    p
      ? `the probe's p95 is ${p.summary.p95Ms} ms${p.typicalP95Ms !== undefined ? ` (typical second ${p.typicalP95Ms} ms)` : ''}${p.baseline ? ` against ${p.baseline.p95Ms} ms before` : ''}`
      : 'the probe is slow',
    clean && s.flows ? 'with every connection answered' : '',
    clean && s.dns ? 'DNS answering' : '',
    origin
      ? `${origin.server} answers slowly itself (p95 ${ms(origin.p95Ms)} ms from a request's arrival, while the servers it calls answer fast), the fastest of the slow servers (also ${origin.others.join(', ')})${origin.lookupP50Ms !== undefined ? `; its own typical lookup takes ${ms(origin.lookupP50Ms)} ms, too little to make up that time` : ''}`
      : slowHttp?.p95Ms
        ? `the slowest HTTP server seen is ${slowHttp.destination} (p95 ${ms(slowHttp.p95Ms)} ms)`
        : '',
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
