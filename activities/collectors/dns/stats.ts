// DNS samples reduced to what a person asks: how fast (p50/p95/max), how
// many got no answer, how many failed and how. "Over 50 ms" is a rule of
// thumb (cache hits answer in well under a millisecond); a baseline from the
// same cluster, when given, is a better yardstick.
import { round } from '../result.ts';
import type { DnsSample } from './sampler.ts';

export interface DnsTargetStats {
  /** Where the lookups ran: "pod production/checkout-frontend-…" or "node (worker)". */
  from: string;
  workload?: string;
  server: string;
  kind: 'cluster-dns' | 'nodelocal' | 'custom';
  samples: number;
  answered: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** p95 over answered queries only: slowness apart from loss. */
  answeredP95Ms?: number;
  timeouts: number;
  /** Answers that took a second or more: the mark of a retry after loss. */
  stalls: number;
  servfail: number;
  nxdomain: number;
  refused: number;
  errors: number;
  /** Share of queries without an answer. */
  lossRatio: number;
}

function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function dnsStats(
  samples: DnsSample[],
  from: string,
  server: string,
  kind: DnsTargetStats['kind'],
  workload?: string,
): DnsTargetStats {
  const mine = samples.filter((s) => s.server === server);
  const answered = mine.filter((s) => s.outcome !== 'TIMEOUT' && s.outcome !== 'ERROR');
  // Latency quantiles cover every query: a lost one counts at the timeout, as a user would feel it.
  const all = mine.map((s) => s.ms).sort((a, b) => a - b);
  const count = (outcome: string) => mine.filter((s) => s.outcome === outcome).length;
  const q = (v: number | undefined) => (v === undefined ? undefined : round(v, 2));
  const p50 = q(percentile(all, 0.5));
  const p95 = q(percentile(all, 0.95));
  const max = q(all[all.length - 1]);
  const answeredP95 = q(
    percentile(
      answered.map((s) => s.ms).sort((a, b) => a - b),
      0.95,
    ),
  );
  return {
    from,
    ...(workload ? { workload } : {}),
    server,
    kind,
    samples: mine.length,
    answered: answered.length,
    ...(p50 === undefined ? {} : { p50Ms: p50 }),
    ...(p95 === undefined ? {} : { p95Ms: p95 }),
    ...(max === undefined ? {} : { maxMs: max }),
    ...(answeredP95 === undefined ? {} : { answeredP95Ms: answeredP95 }),
    timeouts: count('TIMEOUT'),
    stalls: answered.filter((s) => s.ms >= 1000).length,
    servfail: count('SERVFAIL'),
    nxdomain: count('NXDOMAIN'),
    refused: count('REFUSED'),
    errors: count('ERROR'),
    lossRatio: mine.length ? round(count('TIMEOUT') / mine.length, 3) : 0,
  };
}
