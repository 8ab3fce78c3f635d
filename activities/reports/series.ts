// The SLI over a run, second by second, for the report's timeline: from
// Prometheus when it is configured (the checkout SLI's queries, from a minute
// before the run to half a minute after), else the traffic probe's /series
// (its requests, failures, success rate and p95 per second), trimmed to the
// run with half a minute either side.
import { z } from 'zod';
import { CHECKOUT_SLI, sliSeries } from '../probes/prometheus-sli.ts';
import type { SeriesRow } from './model.ts';

const seriesSchema = z.object({
  rows: z.array(
    z
      .object({ t: z.number(), requests: z.number(), failures: z.number(), successRate: z.number(), p95Ms: z.number() })
      .loose(),
  ),
});

/** Rows between `from` and `to` (unix seconds), give or take 30 s. */
export async function probeSeries(probeUrl: string, from: number, to: number): Promise<SeriesRow[]> {
  const last = Math.min(3600, Math.ceil(Date.now() / 1000 - from) + 30);
  const response = await fetch(`${probeUrl.replace(/\/+$/, '')}/series?last=${last}`, {
    signal: AbortSignal.timeout(3000),
  });
  if (!response.ok) throw new Error(`probe ${probeUrl}: HTTP ${response.status}`);
  const { rows } = seriesSchema.parse(await response.json());
  return rows.filter((r) => r.t >= from - 30 && r.t <= to + 30);
}

/** The checkout SLI from Prometheus between `from` and `to` (unix seconds), 30 s either side, at most ~1,000 rows. */
export async function prometheusSeries(prometheusUrl: string, from: number, to: number): Promise<SeriesRow[]> {
  const start = new Date((from - 30) * 1000);
  const end = new Date(Math.min(Date.now() / 1000, to + 30) * 1000);
  const stepSeconds = Math.max(1, Math.ceil((end.getTime() - start.getTime()) / 1000 / 1000));
  const { rows } = await sliSeries(prometheusUrl, CHECKOUT_SLI, { start, end, stepSeconds }, 5000);
  return rows.map((r) => ({
    t: r.t,
    requests: r.requests,
    failures: r.failures,
    successRate: r.successRate,
    p95Ms: r.p95Ms,
  }));
}
