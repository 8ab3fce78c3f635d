// The `dns` collector: lookups as the affected pods make them, measured by
// the node agent on each pod's node from inside the pod's network namespace
// with the pod's own resolv.conf (search path, ndots, timeout, attempts),
// against the pod's nameservers and cluster DNS / NodeLocal DNSCache; and
// CoreDNS's own request-duration and rcode metrics. With no pod to measure
// from (no namespace given, no Kubernetes), the worker resolves from its own
// namespace. A node without an agent is a finding, never a failure.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  parseDuration,
  type CollectorResult,
  type PodDnsResult,
  type StepCall,
  type VantageJob,
} from '../../../model/index.ts';
import { measureRuns, parseResolvConf } from '../../vantage/index.ts';
import { FanoutUnavailable, temporalFanout, type AgentFanout } from '../agents.ts';
import { resolveKube, type KubeSource } from '../kubernetes/collector.ts';
import { httpText } from '../metrics/fetch.ts';
import { ScrapeMemory } from '../metrics/memory.ts';
import { parsePrometheus } from '../metrics/prometheus.ts';
import { asScrape, scrapesFrom, type InstantSample } from '../metrics/promql.ts';
import { listParam, optionalNumber, optionalText } from '../params.ts';
import { budget, collect, errorText, within, type Findings } from '../result.ts';
import { corednsStats, type CorednsStats } from './coredns.ts';
import { findDns, type DnsEvidence } from './findings.ts';
import { dnsStats, type DnsTargetStats } from './stats.ts';
import { clusterDnsServers, NODELOCAL_DNS, podVantages, type PodVantage } from './targets.ts';

export interface DnsDeps {
  kube?: KubeSource;
  /** Cluster DNS addresses when the Service cannot be read (or to override it). */
  servers?: string[];
  /** CoreDNS /metrics URLs. */
  metrics?: string[];
  /** The cluster's Prometheus: CoreDNS's figures from it when /metrics cannot be reached. */
  prometheusUrl?: string;
  memory?: ScrapeMemory;
  /** How the node agents are reached (default: a workflow through the worker's Temporal client). */
  agents?: AgentFanout;
}

const duration = z.string().refine((t) => parseDuration(t) !== undefined, 'expected a duration like "1s"');

const paramsSchema = z.object({
  namespace: optionalText,
  selector: optionalText,
  workload: optionalText,
  names: listParam,
  servers: listParam,
  corednsMetrics: listParam,
  /** Lookups from each place. */
  samples: z.number().int().min(1).max(500).default(20),
  concurrency: z.number().int().min(1).max(50).default(5),
  /** A query still unanswered this long when the measurement ends counts as lost. */
  queryTimeout: duration.default('1s'),
  /** At most this long for the lookups (default: as long as the collector's deadline allows). */
  window: duration.optional(),
  maxPods: z.number().int().min(1).max(20).default(3),
  slowMs: z.number().positive().default(50),
  baselineP95Ms: optionalNumber,
});

const DEFAULT_NAMES = ['kubernetes.default.svc.cluster.local'];

/**
 * Kept back from the lookups for the CoreDNS scrape that follows them: when
 * lookups run to the end of the collector's time (an agent whose helper
 * starts late, DNS that loses packets), the scrape still fits before it.
 */
const SCRAPE_MS = 1000;
/** Kept back after the lookups' end for the agents' answers to come back through the fan-out. */
const EXIT_MS = 400;

type Server = DnsEvidence['servers'][number];

export function createDnsCollector(deps: DnsDeps) {
  const memory = deps.memory ?? new ScrapeMemory();
  const agents = deps.agents ?? temporalFanout();
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
      // The servers and the pods to measure from are independent reads: both at once.
      const [discovered, vantages] = await Promise.all([
        kube
          ? within(clusterDnsServers(kube), time.left() / 4, () => ({ servers: [], metrics: [] }))
          : { servers: [], metrics: [] },
        choosePods(
          kube,
          p.namespace,
          p.selector ?? (p.workload ? `app=${p.workload}` : undefined),
          p.maxPods,
          findings,
          time.left() / 4,
        ),
      ]);
      const given = p.servers ?? deps.servers;
      const servers: Server[] = given?.length
        ? given.map((address) => ({ address, kind: kindOf(address, discovered.servers) }))
        : discovered.servers;
      if (vantages.length === 0 && servers.length === 0) {
        findings.add(
          'dns.unavailable',
          'warning',
          'dns collector: no pod to measure from and no DNS server known (no kube-system/kube-dns Service readable; give the "servers" param or NIGHTSHIFT_CLUSTER_DNS)',
        );
        return undefined;
      }
      const lossAfterMs = parseDuration(p.queryTimeout) ?? 1000;
      const windowMs = (p.window ? parseDuration(p.window) : undefined) ?? Infinity;
      const endBy = Math.min(Date.now() + windowMs, time.deadline - SCRAPE_MS - EXIT_MS);
      const names = p.names ?? DEFAULT_NAMES;
      const plan = { names, lookups: p.samples, concurrency: p.concurrency, lossAfterMs, endBy };
      const measured =
        endBy <= Date.now()
          ? noTimeLeft(vantages, time.left(), findings)
          : vantages.length
            ? await fromPods(agents, vantages, plan, servers, findings, time.deadline - SCRAPE_MS)
            : { targets: await fromWorker(plan, servers, findings), unmeasured: [] };
      const metricsUrls =
        p.corednsMetrics ??
        deps.metrics ??
        (discovered.metrics.length
          ? discovered.metrics
          : servers.filter((s) => s.kind !== 'nodelocal').map((s) => `http://${s.address}:9153/metrics`));
      // Scraped after the lookups, so CoreDNS's counts include them.
      let coredns = await scrapeCoredns(metricsUrls, p.slowMs, memory, time.left(), findings);
      if (coredns.length === 0 && deps.prometheusUrl)
        coredns = await corednsFromPrometheus(deps.prometheusUrl, p.slowMs, time.left(), findings);
      const evidence: DnsEvidence = {
        names,
        servers,
        targets: measured.targets,
        coredns,
        slowMs: p.slowMs,
        queryTimeoutMs: lossAfterMs,
        ...(p.baselineP95Ms ? { baselineP95Ms: p.baselineP95Ms } : {}),
        ...(measured.unmeasured.length ? { unmeasured: measured.unmeasured } : {}),
      };
      findDns(evidence, findings);
      return evidence;
    });
  };
}

function kindOf(address: string, discovered: Server[]): Server['kind'] {
  const first = address.split(',')[0] ?? address;
  if (first === NODELOCAL_DNS) return 'nodelocal';
  return discovered.find((s) => s.address === first)?.kind ?? 'custom';
}

type Measured = { targets: DnsTargetStats[]; unmeasured: NonNullable<DnsEvidence['unmeasured']> };

/** The collector's time is gone before the lookups could start: said per place, never a clean bill. */
function noTimeLeft(vantages: PodVantage[], leftMs: number, findings: Findings): Measured {
  const reason = `no time left for lookups (${Math.round(leftMs)} ms before the collector's deadline)`;
  const places = vantages.length ? vantages.map((v) => ({ from: v.label, node: v.pod.node })) : [{ from: 'worker' }];
  for (const place of places)
    findings.add('dns.vantage-failed', 'warning', `could not measure DNS from ${place.from}: ${reason}`, place);
  return { targets: [], unmeasured: places.map((place) => ({ ...place, reason })) };
}

interface Plan {
  names: string[];
  lookups: number;
  concurrency: number;
  lossAfterMs: number;
  endBy: number;
}

/** Each pod's agent measures from inside it: the pod's nameservers, then each known server with its settings. */
async function fromPods(
  agents: AgentFanout,
  vantages: PodVantage[],
  plan: Plan,
  servers: Server[],
  findings: Findings,
  deadline: number,
): Promise<Measured> {
  const jobs: VantageJob[] = vantages.map((v) => ({
    node: v.pod.node,
    activity: 'dnsFromPod',
    request: { pod: v.pod, ...plan, servers: servers.map((s) => s.address) },
  }));
  let outcomes;
  try {
    outcomes = await agents.run(jobs, deadline);
  } catch (err) {
    const reason =
      err instanceof FanoutUnavailable ? err.message : `the node agents could not be asked: ${errorText(err)}`;
    findings.add('dns.no-agent', 'warning', `DNS not measured from the pods: ${reason}`);
    return { targets: [], unmeasured: vantages.map((v) => ({ from: v.label, node: v.pod.node, reason })) };
  }
  const targets: DnsTargetStats[] = [];
  const unmeasured: NonNullable<DnsEvidence['unmeasured']> = [];
  outcomes.forEach((outcome, i) => {
    const v = vantages[i] as PodVantage;
    if (outcome.ok && outcome.result.kind === 'dns') {
      targets.push(...podTargets(v, outcome.result, servers));
      return;
    }
    const reason = outcome.ok ? 'the agent answered something else' : outcome.error;
    unmeasured.push({ from: v.label, node: v.pod.node, reason });
    if (!outcome.ok && outcome.reason === 'no-agent')
      findings.add(
        'dns.no-agent',
        'warning',
        `no agent on ${v.pod.node}: DNS not measured from ${v.label} (${reason})`,
        { node: v.pod.node, from: v.label },
        `no-agent:${v.pod.node}`,
      );
    else
      findings.add('dns.vantage-failed', 'warning', `could not measure DNS from ${v.label}: ${reason}`, {
        from: v.label,
        node: v.pod.node,
      });
  });
  return { targets, unmeasured };
}

function podTargets(v: PodVantage, result: PodDnsResult, servers: Server[]): DnsTargetStats[] {
  const r = result.resolver;
  const resolver = {
    search: r.search,
    ndots: r.ndots,
    timeoutSeconds: r.timeoutSeconds,
    attempts: r.attempts,
    rotate: r.rotate,
    source: `${result.node}:${r.source}`,
  };
  return result.runs.map((run) =>
    dnsStats(
      run.samples,
      { from: v.label, workload: v.workload, node: result.node, server: run.server, kind: kindOf(run.server, servers) },
      resolver,
      run.selfMs,
    ),
  );
}

/** No pod to measure from: the worker resolves from its own namespace, with its own settings, against the servers. */
async function fromWorker(plan: Plan, servers: Server[], findings: Findings): Promise<DnsTargetStats[]> {
  const own = parseResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  findings.add('dns.from-worker', 'info', 'no pod to measure from: lookups ran from the worker itself');
  const runs = await measureRuns(
    servers.map((s) => ({ server: s.address, plan: { ...plan, resolver: { ...own, nameservers: [s.address] } } })),
  );
  return runs.map((run, i) => {
    const s = servers[i] as Server;
    return dnsStats(
      run.samples,
      { from: 'worker', server: s.address, kind: s.kind },
      {
        search: own.search,
        ndots: own.ndots,
        timeoutSeconds: own.timeoutSeconds,
        attempts: own.attempts,
        rotate: own.rotate,
        source: 'worker:/etc/resolv.conf',
      },
      run.selfMs,
    );
  });
}

async function choosePods(
  kube: ReturnType<typeof resolveKube>['kube'],
  namespace: string | undefined,
  selector: string | undefined,
  max: number,
  findings: Findings,
  timeoutMs: number,
): Promise<PodVantage[]> {
  if (!kube || !namespace) return [];
  const found = await within(podVantages(kube, namespace, selector, max), timeoutMs, () => undefined).catch(
    (err: unknown) => {
      findings.add('dns.pods-unknown', 'info', `could not list pods in ${namespace}: ${errorText(err)}`);
      return undefined;
    },
  );
  if (found && found.length === 0)
    findings.add('dns.pods-unknown', 'info', `no running pod with an IP in ${namespace} to measure DNS from`);
  return found ?? [];
}

/** How far back Prometheus's own history gives the baseline CoreDNS's counters are read against. */
const PROMETHEUS_BASELINE_MS = 5 * 60_000;

/**
 * CoreDNS's figures as Prometheus scraped them (every target with CoreDNS's
 * families), now against five minutes ago: on a managed cluster the collector
 * often cannot reach CoreDNS's /metrics, but the cluster's Prometheus does.
 */
async function corednsFromPrometheus(
  url: string,
  slowMs: number,
  timeoutMs: number,
  findings: Findings,
): Promise<CorednsStats[]> {
  const families = [
    'coredns_dns_request_duration_seconds',
    'coredns_dns_responses_total',
    'coredns_dns_requests_total',
    'coredns_panics_total',
  ];
  const now = new Date();
  const options = { timeoutMs: Math.min(timeoutMs, 3000) };
  try {
    const [current, before] = await Promise.all([
      scrapesFrom(url, families, options),
      scrapesFrom(url, families, { ...options, time: new Date(now.getTime() - PROMETHEUS_BASELINE_MS) }).catch(
        () => new Map<string, { samples: InstantSample[] }>(),
      ),
    ]);
    const types = { coredns_dns_request_duration_seconds: 'histogram' };
    if (current.size === 0)
      findings.add('dns.metrics-unavailable', 'info', `Prometheus at ${url} has no CoreDNS metrics (coredns_dns_*)`, {
        url,
      });
    return [...current.entries()].map(([instance, { samples }]) => {
      const earlier = before.get(instance);
      return corednsStats(
        `${instance} (through Prometheus ${url})`,
        asScrape(samples, types),
        slowMs,
        earlier ? { scrape: asScrape(earlier.samples, types), ageMs: PROMETHEUS_BASELINE_MS } : undefined,
      );
    });
  } catch (err) {
    findings.add(
      'dns.metrics-unavailable',
      'info',
      `CoreDNS metrics through Prometheus at ${url} unavailable: ${errorText(err)}`,
      {
        url,
      },
    );
    return [];
  }
}

async function scrapeCoredns(
  urls: string[],
  slowMs: number,
  memory: ScrapeMemory,
  timeoutMs: number,
  findings: Findings,
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
