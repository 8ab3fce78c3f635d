// Reading the probe from TypeScript: the summary of a recent window and the
// per-second series, parsed with the same schema the probe serves.
import { PROBE_URL } from '../topology.ts';
import { probeSeriesSchema, probeSummarySchema, type ProbeSeries, type ProbeSummary } from './schema.ts';

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`probe ${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Success rate, counts and latency percentiles over the last `windowSeconds` complete seconds. */
export async function probeSummary(windowSeconds = 10, baseUrl = PROBE_URL): Promise<ProbeSummary> {
  return probeSummarySchema.parse(await getJson(`${baseUrl}/summary?window=${windowSeconds}s`));
}

/** One row per second for the last `last` complete seconds. */
export async function probeSeries(last = 60, baseUrl = PROBE_URL): Promise<ProbeSeries> {
  return probeSeriesSchema.parse(await getJson(`${baseUrl}/series?last=${last}`));
}
