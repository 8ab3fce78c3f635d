// Quantiles from Prometheus histogram buckets, the way histogram_quantile()
// computes them: find the bucket holding the rank, interpolate linearly inside
// it. The answer is an estimate bounded by the bucket edges; callers say so.
import { select, type Scrape } from './prometheus.ts';

export interface Bucket {
  /** Upper bound ("le"), in the metric's unit; Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations <= le. */
  count: number;
}

export interface Histogram {
  buckets: Bucket[];
  count: number;
  sum: number;
}

/**
 * The histogram `name` (without the _bucket suffix) summed over every label set
 * that matches `labels`, ignoring `le`. Undefined when the metric is absent.
 */
export function histogram(scrape: Scrape, name: string, labels: Record<string, string> = {}): Histogram | undefined {
  const byLe = new Map<number, number>();
  for (const sample of select(scrape, `${name}_bucket`, labels)) {
    const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  if (byLe.size === 0) return undefined;
  const buckets = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const total = (values: { value: number }[]) => values.reduce((acc, s) => acc + s.value, 0);
  const countSamples = select(scrape, `${name}_count`, labels);
  const count = countSamples.length ? total(countSamples) : (buckets[buckets.length - 1]?.count ?? 0);
  return { buckets, count, sum: total(select(scrape, `${name}_sum`, labels)) };
}

/** Observations made between two scrapes of the same histogram (after - before). */
export function since(after: Histogram, before: Histogram | undefined): Histogram {
  if (!before || before.count > after.count) return after; // no earlier scrape, or the process restarted
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile (0..1), like Prometheus' histogram_quantile: undefined without
 * observations; the highest finite bound when the rank falls in the +Inf bucket.
 */
export function quantile(h: Histogram, q: number): number | undefined {
  const buckets = h.buckets;
  const last = buckets[buckets.length - 1];
  if (!last || last.count <= 0 || q < 0 || q > 1) return undefined;
  const rank = q * last.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      if (bucket.count === lowerCount) return bucket.le;
      return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / (bucket.count - lowerCount));
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/**
 * The share of observations above `x`, interpolating linearly inside the bucket
 * that contains x (x is rarely a bucket edge: CoreDNS buckets are 0.25 ms × 2^n).
 */
export function fractionAbove(h: Histogram, x: number): number | undefined {
  const last = h.buckets[h.buckets.length - 1];
  if (!last || last.count <= 0) return undefined;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of h.buckets) {
    if (x <= bucket.le) {
      const atX =
        bucket.le === Number.POSITIVE_INFINITY
          ? lowerCount
          : lowerCount + (bucket.count - lowerCount) * ((x - lowerBound) / (bucket.le - lowerBound));
      return (last.count - atX) / last.count;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return 0;
}

/** Whether x falls on a bucket edge (no interpolation needed). */
export function isBucketEdge(h: Histogram, x: number): boolean {
  return h.buckets.some((b) => Math.abs(b.le - x) < 1e-12);
}
