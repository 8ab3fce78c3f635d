// CoreDNS's own view from its /metrics: request duration quantiles and the
// share of requests over the slow threshold (interpolated: its buckets are
// 0.25 ms × 2^n, so 50 ms falls inside the 32–64 ms bucket), responses by
// rcode, panics. Pure over scrapes; the collector fetches them.
import { fractionAbove, histogram, isBucketEdge, quantile, since } from '../metrics/histogram.ts';
import { select, sum, type Scrape } from '../metrics/prometheus.ts';
import { round } from '../result.ts';

export interface CorednsStats {
  endpoint: string;
  requests: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** Share of requests slower than the threshold, and how it was computed. */
  slowShare?: number;
  slowNote?: string;
  byRcode: Record<string, number>;
  servfailShare: number;
  panics: number;
  /** What the figures cover. */
  basis: string;
}

const DURATION = 'coredns_dns_request_duration_seconds';

export function corednsStats(
  endpoint: string,
  scrape: Scrape,
  slowMs: number,
  baseline?: { scrape: Scrape; ageMs: number },
): CorednsStats {
  const full = histogram(scrape, DURATION);
  const h = full && baseline ? since(full, histogram(baseline.scrape, DURATION)) : full;
  const ms = (v: number | undefined) => (v === undefined ? undefined : round(v * 1000, 2));
  const byRcode: Record<string, number> = {};
  for (const s of select(scrape, 'coredns_dns_responses_total')) {
    const rcode = s.labels.rcode ?? '?';
    const before = baseline ? (sum(baseline.scrape, s.name, s.labels) ?? 0) : 0;
    byRcode[rcode] = (byRcode[rcode] ?? 0) + Math.max(0, s.value - before);
  }
  const responses = Object.values(byRcode).reduce((a, b) => a + b, 0);
  const requests = h?.count ?? sum(scrape, 'coredns_dns_requests_total') ?? 0;
  const slow = h && h.count > 0 ? fractionAbove(h, slowMs / 1000) : undefined;
  const edge = h ? isBucketEdge(h, slowMs / 1000) : false;
  const p50 = h && h.count > 0 ? ms(quantile(h, 0.5)) : undefined;
  const p95 = h && h.count > 0 ? ms(quantile(h, 0.95)) : undefined;
  const p99 = h && h.count > 0 ? ms(quantile(h, 0.99)) : undefined;
  return {
    endpoint,
    requests,
    ...(p50 === undefined ? {} : { p50Ms: p50 }),
    ...(p95 === undefined ? {} : { p95Ms: p95 }),
    ...(p99 === undefined ? {} : { p99Ms: p99 }),
    ...(slow === undefined
      ? {}
      : {
          slowShare: round(slow, 4),
          slowNote: edge
            ? `share over ${slowMs} ms read at a bucket edge`
            : `share over ${slowMs} ms interpolated linearly inside the bucket that contains it (${slowMs} ms is not a bucket edge)`,
        }),
    byRcode,
    servfailShare: responses ? round((byRcode.SERVFAIL ?? 0) / responses, 4) : 0,
    panics: sum(scrape, 'coredns_panics_total') ?? 0,
    basis: baseline ? `last ${Math.round(baseline.ageMs / 1000)}s` : 'since CoreDNS started',
  };
}
