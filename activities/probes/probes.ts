// Verify probes (the interpreter's `verify` step) and the `probe` collector.
// `checkout-probe` reads the traffic probe's summary; `http` makes its own
// requests to a URL and reports the same shape; `sli` and the collector read
// whichever SLI source the runbook names (sli.ts).
import { z } from 'zod';
import { parseDuration, failure } from '../../model/index.ts';
import { httpText } from '../collectors/metrics/fetch.ts';
import { promqlInstant, PromqlError, withWindow, type InstantSample } from '../collectors/metrics/promql.ts';
import { optionalText } from '../collectors/params.ts';
import { budget, collect, errorText, round } from '../collectors/result.ts';
import type { CollectorResult, StepCall } from '../../model/index.ts';
import { assessProbe, DEFAULT_PROBE_THRESHOLDS, probeEvidence, type ProbeEvidence } from './assess.ts';
import { readSummary } from './client.ts';
import type { ProbeSummary } from './schema.ts';
import { readSli, sliParamsSchema, sliSource } from './sli.ts';

export interface ProbeDeps {
  /** Base URL of the traffic probe, e.g. http://127.0.0.1:9470. */
  probeUrl?: string;
  /** The cluster's Prometheus, e.g. http://prometheus.monitoring:9090 (the `prometheus` SLI source, `promql`). */
  prometheusUrl?: string;
}

const seconds = (text: string) => Math.max(1, Math.round((parseDuration(text) ?? 10_000) / 1000));
const windowParam = z
  .string()
  .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "10s"')
  .default('10s');

const checkoutParams = z.object({ url: optionalText, window: windowParam });
const httpParams = z.object({
  url: z.url(),
  method: z.enum(['GET', 'POST', 'HEAD']).default('GET'),
  body: optionalText,
  samples: z.number().int().min(1).max(100).default(5),
  timeout: z
    .string()
    .refine((t) => parseDuration(t) !== undefined)
    .default('2s'),
  expectStatus: z.number().int().optional(),
});

const promqlParams = z.object({ query: z.string().min(1), url: optionalText, window: windowParam });

export interface PromqlProbeResult {
  query: string;
  value: number | null;
  samples: { labels: Record<string, string>; value: number | null }[];
}

export interface HttpProbeResult {
  successRate: number;
  requests: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  statuses: Record<string, number>;
}

export function createProbeActivities(deps: ProbeDeps) {
  const urlOf = (given: string | undefined) => {
    const url = given ?? deps.probeUrl;
    if (!url) throw failure('InvalidInput', 'no probe URL: give the "url" param or set NIGHTSHIFT_PROBE_URL');
    return url;
  };

  return {
    /** Verify probe: the traffic probe's summary over a recent window. */
    async checkoutProbe(call: StepCall): Promise<ProbeSummary> {
      const p = checkoutParams.parse(call.params);
      return readSummary(urlOf(p.url), seconds(p.window));
    },

    /** Verify probe: N requests to a URL; success is a 2xx (or the expected status). */
    async httpProbe(call: StepCall): Promise<HttpProbeResult> {
      const p = httpParams.parse(call.params);
      const timeoutMs = parseDuration(p.timeout) ?? 2000;
      const statuses: Record<string, number> = {};
      const latencies: number[] = [];
      let failures = 0;
      for (let i = 0; i < p.samples; i++) {
        const started = performance.now();
        try {
          const answer = await httpText(p.url, { method: p.method, timeoutMs, ...(p.body ? { body: p.body } : {}) });
          statuses[String(answer.status)] = (statuses[String(answer.status)] ?? 0) + 1;
          const ok = p.expectStatus ? answer.status === p.expectStatus : answer.status >= 200 && answer.status < 300;
          if (!ok) failures++;
        } catch (err) {
          failures++;
          const key = (err as { code?: string }).code ?? 'error';
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0, 1);
      return {
        successRate: round((p.samples - failures) / p.samples, 4),
        requests: p.samples,
        failures,
        p50Ms: at(0.5),
        p95Ms: at(0.95),
        statuses,
      };
    },

    /**
     * Verify probe: a PromQL query's value now, the sum of the vector's samples
     * (`value` is null when the query returns nothing: no data is not a pass).
     * `$window` in the query stands for the `window` param.
     */
    async promqlProbe(call: StepCall): Promise<PromqlProbeResult> {
      const p = promqlParams.safeParse(call.params);
      if (!p.success) throw failure('InvalidInput', `promql probe: bad params: ${z.prettifyError(p.error)}`);
      const url = p.data.url ?? deps.prometheusUrl;
      if (!url)
        throw failure('InvalidInput', 'promql probe: no Prometheus URL (the "url" param or NIGHTSHIFT_PROMETHEUS_URL)');
      const query = withWindow(p.data.query, seconds(p.data.window));
      let samples: InstantSample[];
      try {
        samples = await promqlInstant(url, query, { timeoutMs: 5000 });
      } catch (err) {
        // A query Prometheus refuses never passes: the runbook is wrong, retrying will not help.
        if (err instanceof PromqlError) throw failure('InvalidInput', `promql probe: ${err.message}`);
        throw err;
      }
      const finite = samples.filter((s) => Number.isFinite(s.value));
      return {
        query,
        value: finite.length
          ? round(
              finite.reduce((sum, s) => sum + s.value, 0),
              6,
            )
          : null,
        samples: samples
          .slice(0, 20)
          .map((s) => ({ labels: s.labels, value: Number.isFinite(s.value) ? s.value : null })),
      };
    },

    /** Verify probe: the runbook's SLI source, the same one its symptom came from. */
    async sliProbe(call: StepCall): Promise<ProbeSummary & { source: string }> {
      const p = sliParamsSchema.safeParse(call.params);
      if (!p.success) throw failure('InvalidInput', `sli probe: bad params: ${z.prettifyError(p.error)}`);
      const reading = await readSli(p.data, deps, 20_000);
      return { ...reading.summary, source: reading.source };
    },

    /** Collector: the SLI source's recent window, against the seconds before it when the source keeps them. */
    async collectProbe(call: StepCall): Promise<CollectorResult<ProbeEvidence>> {
      const time = budget(5000);
      return collect<ProbeEvidence>('probe', async (findings) => {
        const p = sliParamsSchema.safeParse(call.params);
        if (!p.success) {
          findings.add('probe.unavailable', 'warning', `probe collector: bad params: ${z.prettifyError(p.error)}`);
          return undefined;
        }
        const source = sliSource(p.data, deps);
        if (source === 'probe' && !p.data.url && !deps.probeUrl) {
          findings.add(
            'probe.unavailable',
            'warning',
            'probe collector: no probe URL (set NIGHTSHIFT_PROBE_URL or the "url" param)',
          );
          return undefined;
        }
        if (source === 'prometheus' && !p.data.url && !deps.prometheusUrl) {
          findings.add(
            'probe.unavailable',
            'warning',
            'probe collector: no Prometheus URL (set NIGHTSHIFT_PROMETHEUS_URL or the "url" param)',
          );
          return undefined;
        }
        try {
          const reading = await readSli(p.data, deps, Math.min(source === 'http' ? 4000 : 3000, time.left(200)));
          const evidence = {
            ...probeEvidence(reading.url, reading.windowSeconds, reading.summary, reading.series),
            source: reading.source,
          };
          assessProbe(evidence, DEFAULT_PROBE_THRESHOLDS, findings);
          return evidence;
        } catch (err) {
          const where = p.data.url ?? (source === 'prometheus' ? deps.prometheusUrl : deps.probeUrl) ?? '(no url)';
          findings.add('probe.unavailable', 'warning', `probe collector: ${where} did not answer: ${errorText(err)}`);
          return undefined;
        }
      });
    },
  };
}
