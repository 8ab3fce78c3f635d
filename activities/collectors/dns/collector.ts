// The `dns` collector: times lookups from pods of the affected workloads
// (inside their network namespaces) against cluster DNS and NodeLocal
// DNSCache, and reads CoreDNS's own request-duration and rcode metrics.
import { z } from 'zod';
import { parseDuration } from '../../../model/index.ts';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { resolveKube, type KubeSource } from '../kubernetes/collector.ts';
import { httpText } from '../metrics/fetch.ts';
import { ScrapeMemory } from '../metrics/memory.ts';
import { parsePrometheus } from '../metrics/prometheus.ts';
import { dnsFrom } from '../netns/run.ts';
import { listParam, optionalNumber, optionalText } from '../params.ts';
import { budget, collect, errorText, within } from '../result.ts';
import { corednsStats, type CorednsStats } from './coredns.ts';
import { findDns, type DnsEvidence } from './findings.ts';
import { dnsStats } from './stats.ts';
import { clusterDnsServers, podVantages, type Vantage } from './targets.ts';

export interface DnsDeps {
  kube?: KubeSource;
  /** Cluster DNS addresses when the Service cannot be read (or to override it). */
  servers?: string[];
  /** CoreDNS /metrics URLs. */
  metrics?: string[];
  memory?: ScrapeMemory;
}

const duration = (fallback: string) =>
  z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "1s"')
    .default(fallback);

const paramsSchema = z.object({
  namespace: optionalText,
  selector: optionalText,
  workload: optionalText,
  names: listParam,
  servers: listParam,
  corednsMetrics: listParam,
  samples: z.number().int().min(1).max(500).default(20),
  concurrency: z.number().int().min(1).max(50).default(5),
  queryTimeout: duration('1s'),
  maxPods: z.number().int().min(1).max(20).default(3),
  slowMs: z.number().positive().default(50),
  baselineP95Ms: optionalNumber,
});

const DEFAULT_NAMES = ['kubernetes.default.svc.cluster.local'];

/**
 * Kept back from the lookups for the CoreDNS scrape that follows them: when
 * lookups run to the end of the collector's time (a vantage whose helper
 * starts late, DNS that loses packets), the scrape still fits before it.
 */
const SCRAPE_MS = 1000;

export function createDnsCollector(deps: DnsDeps) {
  const memory = deps.memory ?? new ScrapeMemory();
  return async function collectDns(call: StepCall): Promise<CollectorResult<DnsEvidence>> {
    const time = budget(8000);
    return collect<DnsEvidence>('dns', async (findings) => {
      const parsed = paramsSchema.safeParse(call.params);
      if (!parsed.success) {
        findings.add('dns.unavailable', 'warning', `dns collector: bad params: ${z.prettifyError(parsed.error)}`);
        return undefined;
      }
      const p = parsed.data;
      const { kube } = resolveKube(deps.kube);
      const discovered = kube
        ? await within(clusterDnsServers(kube), time.left() / 4, () => ({ servers: [], metrics: [] }))
        : { servers: [], metrics: [] };
      const given = p.servers ?? deps.servers;
      const servers = given?.length
        ? given.map((address) => ({ address, kind: 'custom' as const }))
        : discovered.servers;
      if (servers.length === 0) {
        findings.add(
          'dns.unavailable',
          'warning',
          'dns collector: no DNS server known (no kube-system/kube-dns Service readable; give the "servers" param or NIGHTSHIFT_CLUSTER_DNS)',
        );
        return undefined;
      }
      const vantages = await chooseVantages(
        kube,
        p.namespace,
        p.selector ?? (p.workload ? `app=${p.workload}` : undefined),
        p.maxPods,
        findings,
        time.left() / 4,
      );
      const queryTimeoutMs = parseDuration(p.queryTimeout) ?? 1000;
      const names = p.names ?? DEFAULT_NAMES;
      const plan = {
        servers: servers.map((s) => s.address),
        names,
        samples: p.samples,
        timeoutMs: queryTimeoutMs,
        concurrency: p.concurrency,
      };
      const metricsUrls =
        p.corednsMetrics ??
        deps.metrics ??
        (discovered.metrics.length
          ? discovered.metrics
          : servers.filter((s) => s.kind !== 'nodelocal').map((s) => `http://${s.address}:9153/metrics`));
      const lookupMs = time.left() - SCRAPE_MS;
      const perVantage = await Promise.all(
        vantages.map(async (v) => {
          try {
            if (lookupMs <= 0)
              throw new Error(
                `no time left for lookups (${Math.round(time.left())} ms before the collector's deadline)`,
              );
            return { v, samples: await dnsFrom(v.netns, plan, lookupMs) };
          } catch (err) {
            findings.add('dns.vantage-failed', 'warning', `could not measure DNS from ${v.label}: ${errorText(err)}`, {
              from: v.label,
            });
            return { v, samples: [] };
          }
        }),
      );
      // Scraped after the lookups, so CoreDNS's counts include them.
      const coredns = await scrapeCoredns(metricsUrls, p.slowMs, memory, time.left(), findings);
      const targets = perVantage.flatMap(({ v, samples }) =>
        samples.length ? servers.map((s) => dnsStats(samples, v.label, s.address, s.kind, v.workload)) : [],
      );
      const evidence: DnsEvidence = {
        names,
        servers,
        targets,
        coredns,
        slowMs: p.slowMs,
        queryTimeoutMs,
        ...(p.baselineP95Ms ? { baselineP95Ms: p.baselineP95Ms } : {}),
      };
      findDns(evidence, findings);
      return evidence;
    });
  };
}

async function chooseVantages(
  kube: Awaited<ReturnType<typeof resolveKube>>['kube'],
  namespace: string | undefined,
  selector: string | undefined,
  max: number,
  findings: Parameters<typeof findDns>[1],
  timeoutMs: number,
): Promise<Vantage[]> {
  if (kube && namespace) {
    const found = await within(podVantages(kube, namespace, selector, max), timeoutMs, () => undefined).catch(
      (err: unknown) => {
        findings.add('dns.pods-unknown', 'info', `could not list pods in ${namespace}: ${errorText(err)}`);
        return undefined;
      },
    );
    if (found?.skipped.length) {
      findings.add(
        'dns.from-worker',
        'info',
        `pods ${found.skipped.join(', ')} have no network namespace on this host; lookups for them run from the worker`,
      );
    }
    if (found && found.vantages.length) return found.vantages;
  }
  return [{ label: 'worker' }];
}

async function scrapeCoredns(
  urls: string[],
  slowMs: number,
  memory: ScrapeMemory,
  timeoutMs: number,
  findings: Parameters<typeof findDns>[1],
): Promise<CorednsStats[]> {
  const results = await Promise.all(
    urls.map(async (url) => {
      try {
        const answer = await httpText(url, { timeoutMs: Math.min(timeoutMs, 2000) });
        if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
        const scrape = parsePrometheus(answer.body);
        const now = Date.now();
        const baseline = memory.baseline(url, 15 * 60_000, 5000, now);
        memory.remember(url, scrape, now);
        return corednsStats(url, scrape, slowMs, baseline);
      } catch (err) {
        findings.add('dns.metrics-unavailable', 'info', `CoreDNS metrics at ${url} unavailable: ${errorText(err)}`, {
          url,
        });
        return undefined;
      }
    }),
  );
  return results.filter((r): r is CorednsStats => r !== undefined);
}
