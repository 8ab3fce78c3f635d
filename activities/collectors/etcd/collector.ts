// The `etcd` collector: every member's health, leader, raft term and index,
// db size, WAL fsync and backend commit p99, leader changes, failed proposals
// and peer round trips. A member that does not answer is a finding, not an error.
// Where the members' /metrics are out of reach (or no member is configured)
// and the cluster's Prometheus scrapes them, their figures come from it.
import { z } from 'zod';
import { parseDuration } from '../../../model/index.ts';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { ScrapeMemory } from '../metrics/memory.ts';
import { budget, collect, errorText, within, type Budget, type Findings } from '../result.ts';
import { listParam } from '../params.ts';
import { assessEtcd, DEFAULT_ETCD_THRESHOLDS, type EtcdEvidence } from './assess.ts';
import type { EtcdClient, EtcdMemberInfo } from './client.ts';
import { readMember, type MemberInput } from './member.ts';
import { etcdFromPrometheus, instanceOf } from './prometheus.ts';

export interface EtcdDeps {
  client: EtcdClient;
  /** Client URLs of the members (or one of them: the rest are discovered). */
  endpoints: string[];
  memory?: ScrapeMemory;
}

const paramsSchema = z.object({
  endpoints: listParam.optional(),
  window: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "15m"')
    .default('15m'),
  discover: z.boolean().default(true),
  /** A member that has not answered by then is reported unreachable. */
  requestTimeout: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "2s"')
    .default('2s'),
  fsyncP99Ms: z.number().positive().default(DEFAULT_ETCD_THRESHOLDS.fsyncP99Ms),
  commitP99Ms: z.number().positive().default(DEFAULT_ETCD_THRESHOLDS.commitP99Ms),
  leaderChanges: z.number().int().positive().default(DEFAULT_ETCD_THRESHOLDS.leaderChanges),
  peerRttP99Ms: z.number().positive().default(DEFAULT_ETCD_THRESHOLDS.peerRttP99Ms),
});

/**
 * `prometheusUrl`: the cluster's Prometheus, for the figures of members whose
 * /metrics nightshift cannot scrape itself (or of every member, with none configured).
 */
export function createEtcdCollector(deps: EtcdDeps | undefined, prometheusUrl?: string) {
  const memory = deps?.memory ?? new ScrapeMemory();
  return async function collectEtcd(call: StepCall): Promise<CollectorResult<EtcdEvidence>> {
    const time = budget(8000);
    return collect<EtcdEvidence>('etcd', async (findings) => {
      const params = paramsSchema.safeParse(call.params);
      if (!params.success) {
        findings.add('etcd.unavailable', 'warning', `etcd collector: bad params: ${z.prettifyError(params.error)}`);
        return undefined;
      }
      const p = params.data;
      const endpoints = p.endpoints ?? deps?.endpoints ?? [];
      const direct = deps && endpoints.length > 0 ? deps : undefined;
      if (!direct && !prometheusUrl) {
        findings.add(
          'etcd.unavailable',
          'warning',
          'etcd collector: no etcd endpoints configured (set NIGHTSHIFT_ETCD_ENDPOINTS or the "endpoints" param, or NIGHTSHIFT_PROMETHEUS_URL for the figures through Prometheus)',
        );
        return undefined;
      }
      const windowMs = parseDuration(p.window) ?? 900_000;
      let inputs: MemberInput[] = [];
      if (direct) {
        const members = p.discover
          ? await discover(direct.client, endpoints, time)
          : endpoints.map((endpoint) => ({ endpoint }));
        const requestMs = parseDuration(p.requestTimeout) ?? 2000;
        inputs = await Promise.all(
          members.map((m) => fetchMember(direct.client, memory, m, windowMs, time, requestMs)),
        );
      }
      if (prometheusUrl && (inputs.length === 0 || inputs.some((i) => !i.scrape)))
        inputs = await throughPrometheus(prometheusUrl, inputs, windowMs, time, findings);
      if (inputs.length === 0) return undefined;
      const thresholds = {
        fsyncP99Ms: p.fsyncP99Ms,
        commitP99Ms: p.commitP99Ms,
        leaderChanges: p.leaderChanges,
        peerRttP99Ms: p.peerRttP99Ms,
      };
      return assessEtcd(inputs.map(readMember), thresholds, windowMs, findings);
    });
  };
}

interface Target {
  endpoint: string;
  name?: string;
}

/** The configured endpoints plus every member the cluster lists (by client URL). */
async function discover(client: EtcdClient, endpoints: string[], time: Budget): Promise<Target[]> {
  const known = new Map<string, Target>(endpoints.map((e) => [normalise(e), { endpoint: e }]));
  const timeoutMs = Math.min(1500, time.left(200) / 3);
  // The first member that lists the cluster is enough; a silent one is not waited for.
  const listed = await Promise.any(
    endpoints.map(async (e) => {
      const list = await client.members(e, timeoutMs);
      if (list.length === 0) throw new Error('empty member list');
      return list;
    }),
  ).catch((): EtcdMemberInfo[] => []);
  for (const info of listed) {
    const urls = info.clientURLs ?? [];
    const existing = urls.map(normalise).find((u) => known.has(u));
    if (existing) {
      const target = known.get(existing) as Target;
      if (info.name) target.name = info.name;
    } else if (urls[0]) {
      known.set(normalise(urls[0]), { endpoint: urls[0], ...(info.name ? { name: info.name } : {}) });
    }
  }
  return [...known.values()];
}

function normalise(url: string): string {
  return url.replace(/\/+$/, '').replace('://localhost:', '://127.0.0.1:');
}

async function fetchMember(
  client: EtcdClient,
  memory: ScrapeMemory,
  target: Target,
  windowMs: number,
  time: Budget,
  requestMs: number,
): Promise<MemberInput> {
  const timeoutMs = Math.min(time.left(200), requestMs);
  const errors: string[] = [];
  const attempt = <T>(what: string, p: Promise<T>): Promise<T | undefined> =>
    within(
      p.catch((err: unknown) => {
        errors.push(`${what}: ${errorText(err)}`);
        return undefined;
      }),
      timeoutMs,
      () => {
        errors.push(`${what}: no answer within ${timeoutMs} ms`);
        return undefined;
      },
    );
  const [status, health, scrape] = await Promise.all([
    attempt('status', client.status(target.endpoint, timeoutMs)),
    attempt('health', client.health(target.endpoint, timeoutMs)),
    attempt('metrics', client.metrics(target.endpoint, timeoutMs)),
  ]);
  const now = Date.now();
  const baseline = scrape ? memory.baseline(target.endpoint, windowMs, 5000, now) : undefined;
  if (scrape) memory.remember(target.endpoint, scrape, now);
  return {
    endpoint: target.endpoint,
    ...(target.name ? { name: target.name } : {}),
    ...(status ? { status } : {}),
    ...(health ? { health } : {}),
    ...(scrape ? { scrape } : {}),
    ...(baseline ? { baseline } : {}),
    windowMs,
    now,
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}

/**
 * Members' figures from Prometheus: for each configured member without a
 * scrape of its own, its Prometheus target (same host:port); with no member
 * configured, every instance Prometheus has etcd figures for. Prometheus
 * marks a target's series stale when its scrape fails, so a member it cannot
 * reach drops out rather than showing old figures.
 */
async function throughPrometheus(
  url: string,
  inputs: MemberInput[],
  windowMs: number,
  time: Budget,
  findings: Findings,
): Promise<MemberInput[]> {
  let prometheus: Awaited<ReturnType<typeof etcdFromPrometheus>>;
  try {
    prometheus = await etcdFromPrometheus(url, windowMs, time.left(200));
  } catch (err) {
    findings.add(
      'etcd.metrics-unavailable',
      'info',
      `etcd's figures through Prometheus at ${url} unavailable: ${errorText(err)}`,
      { url },
    );
    return inputs;
  }
  const now = Date.now();
  if (inputs.length === 0) {
    if (prometheus.size === 0)
      findings.add(
        'etcd.unavailable',
        'warning',
        `no etcd endpoints configured, and Prometheus at ${url} has no etcd figures (etcd_*)`,
        { url },
      );
    else
      findings.add(
        'etcd.through-prometheus',
        'info',
        `no etcd endpoints configured: ${prometheus.size} member(s) read through Prometheus at ${url}`,
        { url },
      );
    return [...prometheus].map(([instance, figures]) => ({
      endpoint: `${instance} (through Prometheus ${url})`,
      ...figures,
      windowMs,
      now,
    }));
  }
  const through: string[] = [];
  const merged = inputs.map((input) => {
    if (input.scrape) return input;
    const instance = instanceOf(input.endpoint);
    const figures = instance === undefined ? undefined : prometheus.get(instance);
    if (!figures) return input;
    through.push(input.name ?? input.endpoint);
    return { ...input, ...figures };
  });
  if (through.length)
    findings.add(
      'etcd.through-prometheus',
      'info',
      `the /metrics of ${through.join(', ')} read through Prometheus at ${url}`,
      { url, members: through },
    );
  return merged;
}
