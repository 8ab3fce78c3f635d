// The SLI over a run, second by second, for the report's timeline: read from
// the traffic probe's /series (its requests, failures, success rate and p95
// per second), trimmed to the run with half a minute either side.
import { z } from 'zod';
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
