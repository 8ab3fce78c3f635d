// Where the symptom comes from: an SLI source read the same way by the probe
// collector (the symptom) and the `sli` verify probe (recovery). Three
// sources: `prometheus`, PromQL over the cluster's Prometheus (requests,
// errors and latency queries; prometheus-sli.ts); `probe`, a traffic probe's
// own recorded window and the seconds before it (the lab's probe, or any
// service that serves its /summary and /series); `http`, N requests made now
// to a URL. The runbook picks one by parameter.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { failure, parseDuration } from '../../model/index.ts';
import { httpText } from '../collectors/metrics/fetch.ts';
import { optionalText } from '../collectors/params.ts';
import { round } from '../collectors/result.ts';
import { readSeries, readSummary } from './client.ts';
import { CHECKOUT_SLI, readPrometheusSli } from './prometheus-sli.ts';
import type { ProbeSeries, ProbeSummary } from './schema.ts';

export const SLI_SOURCES = ['prometheus', 'probe', 'http'] as const;
/** `auto`: Prometheus when one is configured (and no probe URL is given), else the probe. */
export const SLI_CHOICES = ['auto', ...SLI_SOURCES] as const;

const duration = (fallback: string) =>
  z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "10s"')
    .default(fallback);

export const sliParamsSchema = z.object({
  source: z
    .preprocess(
      (v) => (v === '' ? undefined : v),
      z.enum(SLI_CHOICES, { error: 'expected "auto", "prometheus", "probe" or "http"' }),
    )
    .default('auto'),
  /** probe: its base URL; http: the URL requested; prometheus: its base URL (default NIGHTSHIFT_PROMETHEUS_URL). */
  url: optionalText,
  /** prometheus: PromQL for requests/s, failed requests/s and p95 seconds; `$window` is the window. */
  requests: optionalText,
  errors: optionalText,
  latency: optionalText,
  /** probe: the window read; http: how long the requests may take in all; prometheus: the rate window. */
  window: duration('10s'),
  /** http only. */
  method: z.enum(['GET', 'POST', 'HEAD']).default('GET'),
  body: optionalText,
  samples: z.number().int().min(1).max(200).default(20),
  timeout: duration('2s'),
  expectStatus: z.number().int().optional(),
});

export type SliParams = z.infer<typeof sliParamsSchema>;

/** What an SLI source read: the window, and (a probe only) the seconds before it. */
export interface SliReading {
  source: (typeof SLI_SOURCES)[number];
  url: string;
  windowSeconds: number;
  summary: ProbeSummary;
  series?: ProbeSeries;
}

export interface SliDefaults {
  probeUrl?: string;
  prometheusUrl?: string;
}

/** The source an `auto` choice stands for here. */
export function sliSource(p: SliParams, defaults: SliDefaults): (typeof SLI_SOURCES)[number] {
  if (p.source !== 'auto') return p.source;
  return defaults.prometheusUrl && !p.url ? 'prometheus' : 'probe';
}

export async function readSli(given: SliParams, defaults: SliDefaults, timeoutMs: number): Promise<SliReading> {
  const p = { ...given, source: sliSource(given, defaults) };
  const windowSeconds = Math.max(1, Math.round((parseDuration(p.window) ?? 10_000) / 1000));
  if (p.source === 'prometheus') {
    const url = p.url ?? defaults.prometheusUrl;
    if (!url) throw failure('InvalidInput', 'no Prometheus URL: give the "url" param or set NIGHTSHIFT_PROMETHEUS_URL');
    const queries = {
      requests: p.requests ?? CHECKOUT_SLI.requests,
      errors: p.errors ?? CHECKOUT_SLI.errors,
      ...((p.latency ?? (p.requests ? undefined : CHECKOUT_SLI.latency))
        ? { latency: p.latency ?? CHECKOUT_SLI.latency }
        : {}),
    };
    const read = await readPrometheusSli(url, queries, windowSeconds, timeoutMs);
    return { source: 'prometheus', url, windowSeconds, ...read };
  }
  if (p.source === 'http') {
    if (!p.url) throw failure('InvalidInput', 'the http SLI source needs a "url" (the runbook parameter sliUrl)');
    return { source: 'http', url: p.url, windowSeconds, summary: await requests(p, p.url, timeoutMs) };
  }
  const url = p.url ?? defaults.probeUrl;
  if (!url) throw failure('InvalidInput', 'no probe URL: give the "url" param or set NIGHTSHIFT_PROBE_URL');
  const [summary, series] = await Promise.all([
    readSummary(url, windowSeconds, timeoutMs),
    readSeries(url, 120, timeoutMs).catch(() => undefined),
  ]);
  return { source: 'probe', url, windowSeconds, summary, ...(series ? { series } : {}) };
}

/** N requests, one after another, each within `timeout`, all within `timeoutMs`. */
async function requests(p: SliParams, url: string, timeoutMs: number): Promise<ProbeSummary> {
  const each = parseDuration(p.timeout) ?? 2000;
  const end = performance.now() + timeoutMs;
  const latencies: number[] = [];
  const failureKinds: Record<string, number> = {};
  let failures = 0;
  for (let i = 0; i < p.samples && performance.now() + 50 < end; i++) {
    const started = performance.now();
    try {
      const answer = await httpText(url, {
        method: p.method,
        timeoutMs: Math.min(each, end - started),
        ...(p.body ? { body: p.body } : {}),
      });
      const ok = p.expectStatus ? answer.status === p.expectStatus : answer.status >= 200 && answer.status < 300;
      if (!ok) {
        failures++;
        failureKinds[`http-${answer.status}`] = (failureKinds[`http-${answer.status}`] ?? 0) + 1;
      }
    } catch (err) {
      failures++;
      const kind = /timed? ?out|abort/i.test(String((err as Error).message)) ? 'timeout' : 'error';
      failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
    }
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0, 1);
  const made = latencies.length;
  return {
    successRate: made ? round((made - failures) / made, 4) : 0,
    requests: made,
    failures,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    failureKinds,
  };
}
