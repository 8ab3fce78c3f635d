// etcd's figures through the cluster's Prometheus, for when nightshift
// cannot scrape the members itself (their client certificates are not its
// to hold, or on a managed cluster the members are out of reach) while
// Prometheus scrapes them: the same families the member reader uses, now and
// one window ago, one input per instance.
import { asScrape, scrapesFrom } from '../metrics/promql.ts';
import type { MemberInput } from './member.ts';

const HISTOGRAMS = [
  'etcd_disk_wal_fsync_duration_seconds',
  'etcd_disk_backend_commit_duration_seconds',
  'etcd_network_peer_round_trip_time_seconds',
];
const FAMILIES = [
  ...HISTOGRAMS,
  'etcd_server_has_leader',
  'etcd_server_is_leader',
  'etcd_server_leader_changes_seen_total',
  'etcd_server_proposals_failed_total',
  'etcd_mvcc_db_total_size_in_bytes',
  'etcd_network_peer_sent_failures_total',
];
const TYPES = Object.fromEntries(HISTOGRAMS.map((h) => [h, 'histogram']));

/** Each instance Prometheus has etcd figures for: what it scraped last, and what it had one window before. */
export async function etcdFromPrometheus(
  url: string,
  windowMs: number,
  timeoutMs: number,
  now = Date.now(),
): Promise<Map<string, Pick<MemberInput, 'scrape' | 'baseline'>>> {
  const options = { timeoutMs: Math.min(timeoutMs, 3000) };
  const [current, before] = await Promise.all([
    scrapesFrom(url, FAMILIES, { ...options, time: new Date(now) }),
    scrapesFrom(url, FAMILIES, { ...options, time: new Date(now - windowMs) }).catch(() => new Map<string, never>()),
  ]);
  const out = new Map<string, Pick<MemberInput, 'scrape' | 'baseline'>>();
  for (const [instance, { samples }] of current) {
    const earlier = before.get(instance);
    out.set(instance, {
      scrape: asScrape(samples, TYPES),
      ...(earlier ? { baseline: { scrape: asScrape(earlier.samples, TYPES), ageMs: windowMs } } : {}),
    });
  }
  return out;
}

/** host:port of a member's client URL, as Prometheus names the target (its `instance`). */
export function instanceOf(endpoint: string): string | undefined {
  try {
    const u = new URL(endpoint);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
}
