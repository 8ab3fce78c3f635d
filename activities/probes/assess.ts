// What the probe says about the user's experience: failing requests (and of
// which kind), latency against the same probe's own recent baseline.
import { round, type Findings } from '../collectors/result.ts';
import type { ProbeSeries, ProbeSummary } from './schema.ts';

export interface ProbeEvidence {
  /** The SLI source: the traffic probe's window, or requests made now (no baseline then). */
  source?: 'prometheus' | 'probe' | 'http';
  url: string;
  windowSeconds: number;
  summary: ProbeSummary;
  /** The seconds before the window: what normal looked like. */
  baseline?: { seconds: number; successRate: number; p95Ms: number; requestsPerSecond: number };
  /**
   * The window's typical second: the median of its per-second p95s, measured
   * as the baseline is. A second or two of hiccup (a busy CPU) moves the
   * window's p95 but not this; a slow service moves both.
   */
  typicalP95Ms?: number;
  errorRatio: number;
}

export interface ProbeThresholds {
  minSuccessRate: number;
  /** Slow when p95 is at least this many times the baseline p95 ... */
  slowFactor: number;
  /** ... and at least this many ms above it. */
  slowMarginMs: number;
}

export const DEFAULT_PROBE_THRESHOLDS: ProbeThresholds = { minSuccessRate: 0.95, slowFactor: 2, slowMarginMs: 50 };

/** Median of per-second p95s: how the baseline and the window's typical second are both measured. */
function medianP95(rows: ProbeSeries['rows']): number {
  const p95s = rows.map((r) => r.p95Ms).sort((a, b) => a - b);
  return p95s[Math.floor(p95s.length / 2)] ?? 0;
}

export function baselineOf(series: ProbeSeries | undefined, windowSeconds: number): ProbeEvidence['baseline'] {
  const rows = (series?.rows ?? [])
    .slice(0, Math.max(0, (series?.rows.length ?? 0) - windowSeconds))
    .filter((r) => r.requests > 0);
  if (rows.length < 5) return undefined;
  const requests = rows.reduce((s, r) => s + r.requests, 0);
  const failures = rows.reduce((s, r) => s + r.failures, 0);
  return {
    seconds: rows.length,
    successRate: round(1 - failures / requests, 4),
    p95Ms: medianP95(rows),
    requestsPerSecond: round(requests / rows.length, 2),
  };
}

/** Median per-second p95 of the window's seconds (the last `windowSeconds` rows), when it has at least three. */
export function typicalP95Of(series: ProbeSeries | undefined, windowSeconds: number): number | undefined {
  const rows = (series?.rows ?? []).slice(-windowSeconds).filter((r) => r.requests > 0);
  return rows.length < 3 ? undefined : medianP95(rows);
}

/** The probe's window, set against the seconds before it in `series` (when the series could be read). */
export function probeEvidence(
  url: string,
  windowSeconds: number,
  summary: ProbeSummary,
  series: ProbeSeries | undefined,
): ProbeEvidence {
  const baseline = baselineOf(series, windowSeconds);
  const typicalP95Ms = typicalP95Of(series, windowSeconds);
  return {
    url,
    windowSeconds,
    summary,
    ...(baseline ? { baseline } : {}),
    ...(typicalP95Ms !== undefined ? { typicalP95Ms } : {}),
    errorRatio: round(1 - summary.successRate, 4),
  };
}

export function assessProbe(e: ProbeEvidence, t: ProbeThresholds, findings: Findings): void {
  const s = e.summary;
  const kinds = Object.entries(s.failureKinds)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  if (s.requests === 0) {
    findings.add('probe.idle', 'warning', `the probe completed no requests in the last ${e.windowSeconds} s`);
    return;
  }
  const rate = `${round(s.successRate * 100, 1)}%`;
  // Requests that hang never complete, so they never count as failures: a drop in volume is the sign.
  const rps = s.requests / e.windowSeconds;
  if (e.baseline && e.baseline.requestsPerSecond > 0 && rps < e.baseline.requestsPerSecond * 0.5) {
    findings.add(
      'probe.stalled',
      'critical',
      `checkout probe: only ${round(rps, 1)} requests/s completed against ${e.baseline.requestsPerSecond} before: requests are hanging`,
      { requestsPerSecond: round(rps, 2), baselineRequestsPerSecond: e.baseline.requestsPerSecond },
    );
  }
  if (s.successRate < t.minSuccessRate) {
    findings.add(
      'probe.failing',
      'critical',
      `checkout probe: ${rate} success over ${e.windowSeconds} s (${s.failures} of ${s.requests} failed${kinds ? `: ${kinds}` : ''})`,
      { ...s, errorRatio: e.errorRatio },
    );
  } else if (s.failures > 0 && s.successRate < 0.99) {
    findings.add(
      'probe.errors',
      'warning',
      `checkout probe: ${rate} success (${s.failures} of ${s.requests} failed${kinds ? `: ${kinds}` : ''})`,
      { ...s, errorRatio: e.errorRatio },
    );
  }
  const base = e.baseline;
  // Like with like: the baseline is a median of per-second p95s, so is the window's typical second.
  const typical = e.typicalP95Ms ?? s.p95Ms;
  const slowBy = (p95: number) =>
    base ? p95 >= base.p95Ms * t.slowFactor && p95 - base.p95Ms >= t.slowMarginMs : p95 > 500;
  if (slowBy(s.p95Ms) && slowBy(typical)) {
    const seconds = e.typicalP95Ms !== undefined ? `, typical second ${e.typicalP95Ms} ms` : '';
    findings.add(
      'probe.slow',
      'warning',
      `checkout probe: p95 ${s.p95Ms} ms${seconds}${base ? ` against ${base.p95Ms} ms before` : ''} (p50 ${s.p50Ms} ms)`,
      { p50Ms: s.p50Ms, p95Ms: s.p95Ms, typicalP95Ms: e.typicalP95Ms, baselineP95Ms: base?.p95Ms },
    );
  }
  if (!findings.list.some((f) => f.kind !== 'probe.healthy' && f.severity !== 'info')) {
    findings.add(
      'probe.healthy',
      'info',
      `checkout probe healthy: ${rate} success, p95 ${s.p95Ms} ms over ${e.windowSeconds} s`,
    );
  }
}
