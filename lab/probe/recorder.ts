// Per-second probe results: each completed request lands in the second it
// completed in; a second is reported once it is over. Keeps the last hour.
import type { ProbeRow, ProbeSummary } from './schema.ts';

const KEEP_SECONDS = 3600;

interface Bucket {
  latencies: number[];
  successes: number;
  failures: number;
  failureKinds: Map<string, number>;
  failureReasons: Map<string, number>;
}

/** Distinct failure reasons kept per second and reported per window. */
const MAX_REASONS = 10;

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export class Recorder {
  private readonly buckets = new Map<number, Bucket>();
  readonly target: string;
  /** The first second anything was recorded in; series start no earlier. */
  private firstSecond: number | undefined;

  constructor(target: string) {
    this.target = target;
  }

  /** `reason`: what the failed answer said (its error text), when it said anything. */
  record(completedAtMs: number, latencyMs: number, failureKind: string | undefined, reason?: string): void {
    const t = Math.floor(completedAtMs / 1000);
    this.firstSecond ??= t;
    let bucket = this.buckets.get(t);
    if (!bucket) {
      bucket = { latencies: [], successes: 0, failures: 0, failureKinds: new Map(), failureReasons: new Map() };
      this.buckets.set(t, bucket);
      for (const old of this.buckets.keys()) if (old < t - KEEP_SECONDS) this.buckets.delete(old);
    }
    bucket.latencies.push(latencyMs);
    if (failureKind === undefined) bucket.successes += 1;
    else {
      bucket.failures += 1;
      bucket.failureKinds.set(failureKind, (bucket.failureKinds.get(failureKind) ?? 0) + 1);
      const said = `${failureKind}${reason ? `: ${reason.slice(0, 160)}` : ''}`;
      if (bucket.failureReasons.has(said) || bucket.failureReasons.size < MAX_REASONS)
        bucket.failureReasons.set(said, (bucket.failureReasons.get(said) ?? 0) + 1);
    }
  }

  private aggregate(from: number, to: number) {
    const latencies: number[] = [];
    let successes = 0;
    let failures = 0;
    const kinds: Record<string, number> = {};
    const reasons = new Map<string, number>();
    for (let t = from; t <= to; t++) {
      const b = this.buckets.get(t);
      if (!b) continue;
      latencies.push(...b.latencies);
      successes += b.successes;
      failures += b.failures;
      for (const [kind, n] of b.failureKinds) kinds[kind] = (kinds[kind] ?? 0) + n;
      for (const [reason, n] of b.failureReasons) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    }
    latencies.sort((a, b) => a - b);
    const requests = successes + failures;
    return {
      requests,
      successes,
      failures,
      successRate: requests === 0 ? 0 : successes / requests,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      failureKinds: kinds,
      failureReasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1]).slice(0, MAX_REASONS)),
    };
  }

  /** The last `windowSeconds` complete seconds before `nowMs`. */
  summary(windowSeconds: number, nowMs = Date.now()): ProbeSummary {
    const to = Math.floor(nowMs / 1000) - 1;
    const from = to - windowSeconds + 1;
    return { ...this.aggregate(from, to), windowSeconds, from, to, target: this.target };
  }

  /** One row per complete second, oldest first, the last `last` of them. */
  series(last: number, nowMs = Date.now()): ProbeRow[] {
    const to = Math.floor(nowMs / 1000) - 1;
    const rows: ProbeRow[] = [];
    if (this.firstSecond === undefined) return rows;
    for (let t = Math.max(this.firstSecond, to - last + 1); t <= to; t++) rows.push({ t, ...this.aggregate(t, t) });
    return rows;
  }
}
