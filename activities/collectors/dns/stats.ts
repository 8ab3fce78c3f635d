// Lookups reduced to what a person asks: how long a pod waits for a name
// (p50/p95/max), how many lookups got no answer, how many stalled a second
// or more, how many failed and how, and underneath, how many query packets
// went unanswered. "Over 50 ms" is a rule of thumb (cache hits answer in well
// under a millisecond); a baseline from the same cluster, when given, is a
// better yardstick.
import type { DnsLookupSample, ResolverConf } from '../../../model/index.ts';
import { round } from '../result.ts';

export interface DnsTargetStats {
  /** Where the lookups ran: "pod production/checkout-frontend-…" or "worker". */
  from: string;
  workload?: string;
  /** The node whose agent measured (pods only). */
  node?: string;
  /** The nameservers asked, comma-separated (the pod's own, or one more server with its settings). */
  server: string;
  kind: 'cluster-dns' | 'nodelocal' | 'custom';
  /** Lookups measured (getaddrinfo calls: search path, A and AAAA, retries). */
  samples: number;
  /** Lookups that ended with an answer of any rcode. */
  answered: number;
  /** Over every lookup, as the pod waits: one still waiting at the end counts with its wait so far. */
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** p95 over lookups answered without a lost query: slowness apart from loss. */
  answeredP95Ms?: number;
  /** Lookups without an answer: every attempt timed out, or still waiting on a lost query at the end. */
  timeouts: number;
  /** Answered lookups that took a second or more: retries after loss. */
  stalls: number;
  servfail: number;
  nxdomain: number;
  refused: number;
  /** Lookups that could not be made: no nameserver reachable (ECONNREFUSED), or a send failed. */
  errors: number;
  /** Share of lookups without an answer (timeouts / samples). */
  lossRatio: number;
  // Added with the agents' resolver (optional, so evidence recorded before still reads):
  /** Query packets sent, retries included. */
  queries?: number;
  /** Query packets that went unanswered. */
  lostQueries?: number;
  /** lostQueries over the queries whose fate is known. */
  queryLossRatio?: number;
  /** Lookups that gave up after every attempt (the application saw EAI_AGAIN). */
  failed?: number;
  /** Lookups still waiting on a lost query when the measurement ended (counted in timeouts). */
  pending?: number;
  /** Lookups cut at the end before anything could be told about them (left out of samples). */
  cut?: number;
  /** Query packets sent again after a timeout. */
  retries?: number;
  /** The resolver settings the lookups followed. */
  resolver?: Pick<ResolverConf, 'search' | 'ndots' | 'timeoutSeconds' | 'attempts' | 'rotate'> & { source: string };
  /**
   * The measurer's own share of each time: the same lookups against an
   * answerer on its loopback, typical time. DNS is judged slow on the times
   * less this (`dnsMs`), never on the measurer's waits for a busy CPU.
   */
  selfP50Ms?: number;
}

/** A lookup time less the measurer's own share (never below 0). */
export const dnsMs = (ms: number | undefined, selfP50Ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.max(0, round(ms - (selfP50Ms ?? 0), 2));

function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ANSWERS = ['NOERROR', 'NODATA', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'];

export function dnsStats(
  all: DnsLookupSample[],
  where: { from: string; server: string; kind: DnsTargetStats['kind']; workload?: string; node?: string },
  resolver?: DnsTargetStats['resolver'],
  selfP50Ms?: number,
): DnsTargetStats {
  // A lookup cut before any of its queries could count as lost says nothing.
  const inconclusive = (s: DnsLookupSample) => s.outcome === 'PENDING' && s.lost === 0;
  const mine = all.filter((s) => !inconclusive(s));
  const answered = mine.filter((s) => ANSWERS.includes(s.outcome));
  const unanswered = mine.filter((s) => s.outcome === 'TIMEOUT' || s.outcome === 'PENDING');
  const count = (outcome: DnsLookupSample['outcome']) => mine.filter((s) => s.outcome === outcome).length;
  const q = (v: number | undefined) => (v === undefined ? undefined : round(v, 2));
  const sorted = mine.map((s) => s.ms).sort((a, b) => a - b);
  const p50 = q(percentile(sorted, 0.5));
  const p95 = q(percentile(sorted, 0.95));
  const max = q(sorted[sorted.length - 1]);
  const clean = answered.filter((s) => s.lost === 0 && s.retries === 0).map((s) => s.ms);
  const answeredP95 = q(
    percentile(
      clean.sort((a, b) => a - b),
      0.95,
    ),
  );
  const queries = all.reduce((sum, s) => sum + s.queries, 0);
  const lostQueries = all.reduce((sum, s) => sum + s.lost, 0);
  const known = queries - all.reduce((sum, s) => sum + s.unknown, 0);
  return {
    from: where.from,
    ...(where.workload ? { workload: where.workload } : {}),
    ...(where.node ? { node: where.node } : {}),
    server: where.server,
    kind: where.kind,
    samples: mine.length,
    answered: answered.length,
    ...(p50 === undefined ? {} : { p50Ms: p50 }),
    ...(p95 === undefined ? {} : { p95Ms: p95 }),
    ...(max === undefined ? {} : { maxMs: max }),
    ...(answeredP95 === undefined ? {} : { answeredP95Ms: answeredP95 }),
    timeouts: unanswered.length,
    stalls: answered.filter((s) => s.ms >= 1000).length,
    servfail: count('SERVFAIL'),
    nxdomain: count('NXDOMAIN'),
    refused: count('REFUSED'),
    errors: count('ERROR'),
    lossRatio: mine.length ? round(unanswered.length / mine.length, 3) : 0,
    queries,
    lostQueries,
    queryLossRatio: known > 0 ? round(lostQueries / known, 3) : 0,
    failed: count('TIMEOUT'),
    pending: count('PENDING'),
    cut: all.length - mine.length,
    retries: all.reduce((sum, s) => sum + s.retries, 0),
    ...(resolver ? { resolver } : {}),
    ...(selfP50Ms === undefined ? {} : { selfP50Ms }),
  };
}
