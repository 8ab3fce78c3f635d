// The `prometheus` SLI source: the symptom and the recovery check read with
// PromQL from the cluster's Prometheus. Three queries, each a runbook
// parameter: requests per second, failed requests per second and (optional)
// the p95 latency in seconds, with `$window` standing for the window read.
// The same queries over the two minutes before give the per-second series
// the probe evidence compares against ("what changed, and when").
import { promqlInstant, promqlRange, withWindow } from '../collectors/metrics/promql.ts';
import { round } from '../collectors/result.ts';
import type { ProbeSeries, ProbeSummary } from './schema.ts';

export interface PromSliQueries {
  requests: string;
  errors: string;
  latency?: string;
}

/** The shop's checkout SLI as deploy/prometheus/rules/checkout.yaml reads it. */
export const CHECKOUT_SLI: PromSliQueries = {
  requests:
    'sum(rate(http_requests_total{namespace="production", app="checkout-frontend", route="/checkout"}[$window]))',
  errors:
    'sum(rate(http_requests_total{namespace="production", app="checkout-frontend", route="/checkout", code=~"5.."}[$window]))',
  latency:
    'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="production", app="checkout-frontend", route="/checkout"}[$window])))',
};

const BEFORE_SECONDS = 120;

/** One number from an instant query: the sum of its samples, 0 when it has none (no traffic yet). */
async function scalarOf(base: string, query: string, timeoutMs: number): Promise<number> {
  const samples = await promqlInstant(base, query, { timeoutMs });
  return samples.reduce((sum, s) => sum + (Number.isFinite(s.value) ? s.value : 0), 0);
}

export async function readPrometheusSli(
  base: string,
  q: PromSliQueries,
  windowSeconds: number,
  timeoutMs: number,
): Promise<{ summary: ProbeSummary; series?: ProbeSeries }> {
  const w = (query: string) => withWindow(query, windowSeconds);
  const [rps, eps, p95s] = await Promise.all([
    scalarOf(base, w(q.requests), timeoutMs),
    scalarOf(base, w(q.errors), timeoutMs),
    q.latency ? scalarOf(base, w(q.latency), timeoutMs) : Promise.resolve(0),
  ]);
  const requests = Math.round(rps * windowSeconds);
  const failures = Math.min(requests, Math.round(eps * windowSeconds));
  const p95Ms = round(p95s * 1000, 1);
  const summary: ProbeSummary = {
    successRate: requests > 0 ? round((requests - failures) / requests, 4) : 0,
    requests,
    failures,
    p50Ms: p95Ms,
    p95Ms,
    p99Ms: p95Ms,
    failureKinds: failures > 0 ? { 'http-5xx': failures } : {},
  };
  const end = new Date(Math.floor(Date.now() / 1000) * 1000);
  const range = { start: new Date(end.getTime() - BEFORE_SECONDS * 1000), end, stepSeconds: 1 };
  const series = await sliSeries(base, q, range, timeoutMs).catch(() => undefined);
  return { summary, ...(series ? { series } : {}) };
}

/**
 * Rows per step between two instants, as the traffic probe keeps them per
 * second (requests and failures per second, success rate, p95): the two
 * minutes before a reading, or a whole incident for the report's timeline.
 */
export async function sliSeries(
  base: string,
  q: PromSliQueries,
  range: { start: Date; end: Date; stepSeconds: number },
  timeoutMs: number,
): Promise<ProbeSeries> {
  const rateWindow = Math.max(5, range.stepSeconds * 2);
  const one = (query: string) =>
    promqlRange(base, withWindow(query, rateWindow), range, timeoutMs).then((series) => {
      const byT = new Map<number, number>();
      for (const s of series)
        for (const [t, v] of s.points) byT.set(t, (byT.get(t) ?? 0) + (Number.isFinite(v) ? v : 0));
      return byT;
    });
  const [req, err, lat] = await Promise.all([
    one(q.requests),
    one(q.errors),
    q.latency ? one(q.latency) : Promise.resolve(new Map<number, number>()),
  ]);
  const rows = [...req.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, r]) => {
      const e = Math.min(r, err.get(t) ?? 0);
      const failureKinds: Record<string, number> = e > 0 ? { 'http-5xx': round(e, 2) } : {};
      return {
        t,
        requests: round(r, 2),
        failures: round(e, 2),
        successRate: r > 0 ? round((r - e) / r, 4) : 0,
        p95Ms: round((lat.get(t) ?? 0) * 1000, 1),
        failureKinds,
      };
    });
  return { rows };
}
