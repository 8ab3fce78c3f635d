// Reads the traffic probe: a window's summary and the per-second series.
import { httpText } from '../collectors/metrics/fetch.ts';
import { seriesSchema, summarySchema, type ProbeSeries, type ProbeSummary } from './schema.ts';

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const answer = await httpText(url, { timeoutMs });
  if (answer.status !== 200) throw new Error(`probe ${url}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body);
}

export async function readSummary(baseUrl: string, windowSeconds: number, timeoutMs = 3000): Promise<ProbeSummary> {
  return summarySchema.parse(
    await getJson(`${baseUrl.replace(/\/+$/, '')}/summary?window=${windowSeconds}s`, timeoutMs),
  );
}

export async function readSeries(baseUrl: string, last: number, timeoutMs = 3000): Promise<ProbeSeries> {
  return seriesSchema.parse(await getJson(`${baseUrl.replace(/\/+$/, '')}/series?last=${last}`, timeoutMs));
}
