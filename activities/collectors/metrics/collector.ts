// The `metrics` collector: PromQL over the cluster's Prometheus, each query
// read now and over a window before (default 10 minutes), so the evidence
// shows what changed and when: the value now, the typical value before, and
// the first moment the series left that level. Queries are a runbook's own
// (a map of name → PromQL); a query Prometheus refuses is a finding naming it.
import { z } from 'zod';
import { parseDuration, type CollectorResult, type StepCall } from '../../../model/index.ts';
import { optionalText } from '../params.ts';
import { budget, collect, errorText, round } from '../result.ts';
import { promqlInstant, promqlRange, withWindow } from './promql.ts';

const duration = (fallback: string) =>
  z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "10m"')
    .default(fallback);

const paramsSchema = z.object({
  queries: z.record(z.string().regex(/^[\w.-]+$/, 'a query name is letters, digits, . _ -'), z.string().min(1)),
  url: optionalText,
  /** How far back the range goes. */
  before: duration('10m'),
  /** `$window` in a query. */
  window: duration('1m'),
  step: duration('15s'),
});

export interface MetricReading {
  name: string;
  query: string;
  /** The sum of the vector's samples now (null without data). */
  now: number | null;
  /** The median of the range's first half: the level before. */
  typicalBefore: number | null;
  /** When the series first left the level before (by more than a quarter of it, or from zero), ISO time. */
  changedAt?: string;
  /** [unix seconds, value], summed over the vector's series. */
  points: [number, number][];
  error?: string;
}

export interface MetricsEvidence {
  url: string;
  from: string;
  to: string;
  readings: MetricReading[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? null) : null;
};

/** The first point after the first half that is off the level before. */
export function changeOf(points: [number, number][]): { typicalBefore: number | null; changedAt?: number } {
  const half = Math.floor(points.length / 2);
  const typicalBefore = median(points.slice(0, half).map((p) => p[1]));
  if (typicalBefore === null) return { typicalBefore };
  const off = (v: number) =>
    typicalBefore === 0 ? Math.abs(v) > 1e-9 : Math.abs(v - typicalBefore) > Math.abs(typicalBefore) * 0.25;
  const at = points.slice(half).find((p) => off(p[1]));
  return { typicalBefore, ...(at ? { changedAt: at[0] } : {}) };
}

export function createMetricsCollector(prometheusUrl: string | undefined) {
  return async function collectMetrics(call: StepCall): Promise<CollectorResult<MetricsEvidence>> {
    const time = budget(8000);
    return collect<MetricsEvidence>('metrics', async (findings) => {
      const p = paramsSchema.safeParse(call.params);
      if (!p.success) {
        findings.add('metrics.unavailable', 'warning', `metrics collector: bad params: ${z.prettifyError(p.error)}`);
        return undefined;
      }
      const url = p.data.url ?? prometheusUrl;
      if (!url) {
        findings.add(
          'metrics.unavailable',
          'warning',
          'metrics collector: no Prometheus URL (set NIGHTSHIFT_PROMETHEUS_URL or the "url" param)',
        );
        return undefined;
      }
      const windowS = (parseDuration(p.data.window) ?? 60_000) / 1000;
      const stepS = Math.max(1, (parseDuration(p.data.step) ?? 15_000) / 1000);
      const end = new Date(Math.floor(Date.now() / 1000) * 1000);
      const start = new Date(end.getTime() - (parseDuration(p.data.before) ?? 600_000));
      const readings = await Promise.all(
        Object.entries(p.data.queries).map(async ([name, raw]): Promise<MetricReading> => {
          const query = withWindow(raw, windowS);
          try {
            const timeoutMs = time.left(300);
            const [now, range] = await Promise.all([
              promqlInstant(url, query, { timeoutMs }),
              promqlRange(url, query, { start, end, stepSeconds: stepS }, timeoutMs),
            ]);
            const finite = now.filter((s) => Number.isFinite(s.value));
            const byT = new Map<number, number>();
            for (const s of range)
              for (const [t, v] of s.points) if (Number.isFinite(v)) byT.set(t, (byT.get(t) ?? 0) + v);
            const points = [...byT.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([t, v]) => [t, round(v, 6)] as [number, number]);
            const change = changeOf(points);
            const reading: MetricReading = {
              name,
              query,
              now: finite.length
                ? round(
                    finite.reduce((a, s) => a + s.value, 0),
                    6,
                  )
                : null,
              typicalBefore: change.typicalBefore === null ? null : round(change.typicalBefore, 6),
              ...(change.changedAt ? { changedAt: new Date(change.changedAt * 1000).toISOString() } : {}),
              points,
            };
            if (reading.changedAt)
              findings.add(
                'metrics.changed',
                'info',
                `${name} went from ${reading.typicalBefore} to ${reading.now ?? 'no data'} (changed at ${reading.changedAt})`,
                { name, typicalBefore: reading.typicalBefore, now: reading.now, changedAt: reading.changedAt },
                `metrics.changed.${name}`,
              );
            return reading;
          } catch (err) {
            findings.add('metrics.query-failed', 'warning', `metrics collector: ${name}: ${errorText(err)}`, {
              name,
              query,
            });
            return { name, query, now: null, typicalBefore: null, points: [], error: errorText(err) };
          }
        }),
      );
      return { url, from: start.toISOString(), to: end.toISOString(), readings };
    });
  };
}
