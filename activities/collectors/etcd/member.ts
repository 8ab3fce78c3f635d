// One etcd member's figures from its status, health and /metrics. Pure: the
// collector fetches, this reads. Quantiles come from histogram buckets
// (interpolated, so they are estimates bounded by bucket edges).
import { histogram, quantile, since, type Histogram } from '../metrics/histogram.ts';
import { select, sum, type Scrape } from '../metrics/prometheus.ts';
import { round } from '../result.ts';
import { hexId, type EtcdHealth, type EtcdStatus } from './client.ts';

export interface EtcdMember {
  endpoint: string;
  name?: string;
  /** Member id in hex, as etcdctl prints it. */
  id?: string;
  reachable: boolean;
  error?: string;
  healthy?: boolean;
  healthReason?: string;
  version?: string;
  isLeader?: boolean;
  /** The leader this member follows (hex id); absent when it has none. */
  leader?: string;
  hasLeader?: boolean;
  raftTerm?: number;
  raftIndex?: number;
  raftAppliedIndex?: number;
  dbSizeBytes?: number;
  dbSizeInUseBytes?: number;
  walFsyncP99Ms?: number;
  backendCommitP99Ms?: number;
  leaderChangesSinceStart?: number;
  /** Leader changes inside the window, when the collector can tell. */
  leaderChangesInWindow?: number;
  proposalsFailedSinceStart?: number;
  proposalsFailedInWindow?: number;
  /** Peer round-trip p99 in ms, by peer id (hex). */
  peerRttP99Ms: Record<string, number>;
  /** Messages this member failed to send, by peer id. */
  peerSendFailures: Record<string, number>;
  /** What the latency quantiles and window counts cover. */
  basis: { latency: string; counters: string };
}

export interface MemberInput {
  endpoint: string;
  name?: string;
  status?: EtcdStatus;
  health?: EtcdHealth;
  scrape?: Scrape;
  /** An earlier scrape of the same member inside the window. */
  baseline?: { scrape: Scrape; ageMs: number };
  windowMs: number;
  now: number;
  error?: string;
}

const FSYNC = 'etcd_disk_wal_fsync_duration_seconds';
const COMMIT = 'etcd_disk_backend_commit_duration_seconds';
const PEER_RTT = 'etcd_network_peer_round_trip_time_seconds';

export function readMember(input: MemberInput): EtcdMember {
  const { status, health, scrape, baseline } = input;
  const member: EtcdMember = {
    endpoint: input.endpoint,
    ...(input.name ? { name: input.name } : {}),
    reachable: status !== undefined || health !== undefined || scrape !== undefined,
    peerRttP99Ms: {},
    peerSendFailures: {},
    basis: { latency: 'none', counters: 'none' },
    ...(input.error ? { error: input.error } : {}),
  };
  if (health) {
    member.healthy = health.healthy;
    if (health.reason) member.healthReason = health.reason;
  }
  if (status) readStatus(member, status);
  if (scrape) readScrape(member, input, scrape, baseline);
  return member;
}

function readStatus(member: EtcdMember, status: EtcdStatus): void {
  const id = hexId(status.header?.member_id);
  if (id) member.id = id;
  if (status.version) member.version = status.version;
  const leader = status.leader && status.leader !== '0' ? hexId(status.leader) : undefined;
  if (leader) member.leader = leader;
  member.hasLeader = leader !== undefined;
  if (id && leader) member.isLeader = id === leader;
  const assign = (
    key: 'raftTerm' | 'raftIndex' | 'raftAppliedIndex' | 'dbSizeBytes' | 'dbSizeInUseBytes',
    v?: number,
  ) => {
    if (v !== undefined && Number.isFinite(v)) member[key] = v;
  };
  assign('raftTerm', status.raftTerm ?? status.header?.raft_term);
  assign('raftIndex', status.raftIndex);
  assign('raftAppliedIndex', status.raftAppliedIndex);
  assign('dbSizeBytes', status.dbSize);
  assign('dbSizeInUseBytes', status.dbSizeInUse);
  if (status.errors?.length) member.error = status.errors.join('; ');
}

function readScrape(member: EtcdMember, input: MemberInput, scrape: Scrape, baseline: MemberInput['baseline']): void {
  const windowed = (h: Histogram | undefined, name: string, labels: Record<string, string> = {}) =>
    h && baseline ? since(h, histogram(baseline.scrape, name, labels)) : h;
  const p99 = (name: string, labels: Record<string, string> = {}) => {
    const h = windowed(histogram(scrape, name, labels), name, labels);
    const q = h && h.count > 0 ? quantile(h, 0.99) : undefined;
    return q === undefined ? undefined : round(q * 1000, 2);
  };
  const fsync = p99(FSYNC);
  const commit = p99(COMMIT);
  if (fsync !== undefined) member.walFsyncP99Ms = fsync;
  if (commit !== undefined) member.backendCommitP99Ms = commit;
  member.basis.latency = baseline ? `last ${Math.round(baseline.ageMs / 1000)}s` : 'since process start';

  const peers = new Set(select(scrape, `${PEER_RTT}_bucket`).map((s) => s.labels.To ?? ''));
  for (const peer of [...peers].filter(Boolean)) {
    const rtt = p99(PEER_RTT, { To: peer });
    if (rtt !== undefined) member.peerRttP99Ms[peer] = rtt;
  }
  for (const s of select(scrape, 'etcd_network_peer_sent_failures_total')) {
    const before = baseline ? (sum(baseline.scrape, s.name, { To: s.labels.To ?? '' }) ?? 0) : 0;
    if (s.labels.To && s.value - before > 0) member.peerSendFailures[s.labels.To] = s.value - before;
  }

  const hasLeader = sum(scrape, 'etcd_server_has_leader');
  if (hasLeader !== undefined && member.hasLeader === undefined) member.hasLeader = hasLeader === 1;
  const isLeader = sum(scrape, 'etcd_server_is_leader');
  if (isLeader !== undefined && member.isLeader === undefined) member.isLeader = isLeader === 1;
  if (member.dbSizeBytes === undefined) {
    const db = sum(scrape, 'etcd_mvcc_db_total_size_in_bytes');
    if (db !== undefined) member.dbSizeBytes = db;
  }
  readCounters(member, input, scrape, baseline);
}

function readCounters(member: EtcdMember, input: MemberInput, scrape: Scrape, baseline: MemberInput['baseline']): void {
  const changes = sum(scrape, 'etcd_server_leader_changes_seen_total');
  const failed = sum(scrape, 'etcd_server_proposals_failed_total');
  if (changes !== undefined) member.leaderChangesSinceStart = changes;
  if (failed !== undefined) member.proposalsFailedSinceStart = failed;
  const started = sum(scrape, 'process_start_time_seconds');
  const uptimeMs = started === undefined ? undefined : input.now - started * 1000;
  if (baseline) {
    const before = (name: string) => sum(baseline.scrape, name) ?? 0;
    if (changes !== undefined)
      member.leaderChangesInWindow = Math.max(0, changes - before('etcd_server_leader_changes_seen_total'));
    if (failed !== undefined)
      member.proposalsFailedInWindow = Math.max(0, failed - before('etcd_server_proposals_failed_total'));
    member.basis.counters = `last ${Math.round(baseline.ageMs / 1000)}s`;
  } else if (uptimeMs !== undefined && uptimeMs <= input.windowMs) {
    // The process is younger than the window: everything it counted is inside it,
    // except the first election every member sees when it starts.
    if (changes !== undefined) member.leaderChangesInWindow = Math.max(0, changes - 1);
    if (failed !== undefined) member.proposalsFailedInWindow = failed;
    member.basis.counters = `since process start ${Math.round(uptimeMs / 1000)}s ago (inside the window)`;
  } else {
    member.basis.counters = 'since process start (older than the window; no earlier scrape to compare)';
  }
}
