// PromQL through the Prometheus HTTP API (/api/v1/query, /api/v1/query_range):
// instant vectors and scalars, and range matrices, parsed with zod. A query
// Prometheus refuses (bad syntax, a timeout) throws with Prometheus's own
// error text, so a runbook author sees what to fix.
import { z } from 'zod';
import { httpText } from './fetch.ts';
import type { Scrape } from './prometheus.ts';

const sampleValue = z.tuple([z.number(), z.string()]);
const vectorSchema = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })),
});
const scalarSchema = z.object({ resultType: z.literal('scalar'), result: sampleValue });
const matrixSchema = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sampleValue) })),
});
const answerSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.unknown(), warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

export interface InstantSample {
  labels: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  /** [unix seconds, value], oldest first. */
  points: [number, number][];
}

export class PromqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromqlError';
  }
}

const num = (text: string) => (text === 'NaN' ? Number.NaN : Number(text));

async function api(base: string, path: string, params: Record<string, string>, timeoutMs: number): Promise<unknown> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const answer = await httpText(url, {
    method: 'POST',
    body: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    timeoutMs,
  });
  let parsed;
  try {
    parsed = answerSchema.parse(JSON.parse(answer.body));
  } catch {
    throw new PromqlError(`${url}: HTTP ${answer.status}, not a Prometheus API answer: ${answer.body.slice(0, 200)}`);
  }
  if (parsed.status === 'error') throw new PromqlError(`Prometheus refused "${params.query}": ${parsed.error}`);
  return parsed.data;
}

/** An instant query: every sample of the vector (a scalar is one sample without labels). */
export async function promqlInstant(
  base: string,
  query: string,
  options: { time?: Date; timeoutMs?: number } = {},
): Promise<InstantSample[]> {
  const data = await api(
    base,
    '/api/v1/query',
    { query, ...(options.time ? { time: String(options.time.getTime() / 1000) } : {}) },
    options.timeoutMs ?? 3000,
  );
  const scalar = scalarSchema.safeParse(data);
  if (scalar.success) return [{ labels: {}, value: num(scalar.data.result[1]) }];
  const vector = vectorSchema.safeParse(data);
  if (!vector.success) throw new PromqlError(`"${query}" is not an instant vector or scalar`);
  return vector.data.result.map((r) => ({ labels: r.metric, value: num(r.value[1]) }));
}

/** A range query from `start` to `end` every `stepSeconds`. */
export async function promqlRange(
  base: string,
  query: string,
  range: { start: Date; end: Date; stepSeconds: number },
  timeoutMs = 3000,
): Promise<RangeSeries[]> {
  const data = await api(
    base,
    '/api/v1/query_range',
    {
      query,
      start: String(range.start.getTime() / 1000),
      end: String(range.end.getTime() / 1000),
      step: String(range.stepSeconds),
    },
    timeoutMs,
  );
  const matrix = matrixSchema.safeParse(data);
  if (!matrix.success) throw new PromqlError(`"${query}" did not give a range`);
  return matrix.data.result.map((r) => ({
    labels: r.metric,
    points: r.values.map(([t, v]) => [t, num(v)] as [number, number]),
  }));
}

/** `$window` in a query becomes the window, in seconds (`[$window]` → `[10s]`). */
export function withWindow(query: string, windowSeconds: number): string {
  return query.replaceAll('$window', `${Math.max(1, Math.round(windowSeconds))}s`);
}

/**
 * What a scrape of each target would have said, read back from Prometheus:
 * the named metric families (histograms by their _bucket/_sum/_count) at an
 * instant, grouped by the target's `instance` label. For collectors that
 * cannot reach a component's /metrics (a managed cluster's CoreDNS or etcd)
 * but whose Prometheus scrapes it; `selector` narrows the targets.
 */
export async function scrapesFrom(
  base: string,
  families: string[],
  options: { selector?: string; time?: Date; timeoutMs?: number } = {},
): Promise<Map<string, { samples: InstantSample[] }>> {
  const names = families.flatMap((f) => [f, `${f}_bucket`, `${f}_sum`, `${f}_count`]);
  const matchers = [`__name__=~"${names.join('|')}"`, ...(options.selector ? [options.selector] : [])];
  const samples = await promqlInstant(base, `{${matchers.join(', ')}}`, {
    ...(options.time ? { time: options.time } : {}),
    timeoutMs: options.timeoutMs ?? 3000,
  });
  const byInstance = new Map<string, { samples: InstantSample[] }>();
  for (const s of samples) {
    const instance = s.labels.instance ?? '(no instance)';
    const entry = byInstance.get(instance) ?? { samples: [] };
    entry.samples.push(s);
    byInstance.set(instance, entry);
  }
  return byInstance;
}

/** Instant samples of one target, as if scraped from it: for readers written for a scrape. */
export function asScrape(samples: InstantSample[], types: Record<string, string> = {}): Scrape {
  return {
    samples: samples.map((s) => {
      const { __name__: name = '', ...labels } = s.labels;
      return { name, labels, value: s.value };
    }),
    types,
    skipped: 0,
  };
}
