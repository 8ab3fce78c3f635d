// The etcd cluster as a whole: leaders, quorum, and findings against
// thresholds. etcd's own guidance: WAL fsync p99 under 10 ms, backend commit
// p99 under 25 ms; its alerting mixin warns at 4 leader changes in 15 minutes
// and at a peer round-trip p99 over 150 ms. All four are configurable.
import type { Findings } from '../result.ts';
import type { EtcdMember } from './member.ts';

export interface EtcdThresholds {
  fsyncP99Ms: number;
  commitP99Ms: number;
  leaderChanges: number;
  peerRttP99Ms: number;
}

export const DEFAULT_ETCD_THRESHOLDS: EtcdThresholds = {
  fsyncP99Ms: 10,
  commitP99Ms: 25,
  leaderChanges: 4,
  peerRttP99Ms: 150,
};

export interface EtcdEvidence {
  members: EtcdMember[];
  thresholds: EtcdThresholds;
  windowMs: number;
  /** Distinct leaders the reachable members name (more than one means a split view). */
  leaders: string[];
  quorum: { reachable: number; total: number; hasQuorum: boolean };
}

const label = (m: EtcdMember) => m.name ?? m.id ?? m.endpoint;

export function assessEtcd(
  members: EtcdMember[],
  thresholds: EtcdThresholds,
  windowMs: number,
  findings: Findings,
): EtcdEvidence {
  const reachable = members.filter((m) => m.reachable);
  const leaders = [...new Set(reachable.flatMap((m) => (m.leader ? [m.leader] : [])))].sort();
  const total = members.length;
  const healthy = members.filter((m) => m.reachable && m.healthy !== false && m.hasLeader !== false).length;
  const quorum = { reachable: reachable.length, total, hasQuorum: healthy > total / 2 };

  for (const m of members) {
    const who = `etcd member ${label(m)} (${m.endpoint})`;
    if (!m.reachable) {
      findings.add(
        'etcd.member-unreachable',
        'critical',
        `${who} is unreachable: ${m.error ?? 'no answer'}`,
        { endpoint: m.endpoint },
        `unreachable:${label(m)}`,
      );
      continue;
    }
    if (m.healthy === false) {
      findings.add(
        'etcd.unhealthy',
        'critical',
        `${who} reports unhealthy${m.healthReason ? `: ${m.healthReason}` : ''}`,
        { endpoint: m.endpoint, reason: m.healthReason },
        `unhealthy:${label(m)}`,
      );
    }
    if (m.hasLeader === false) {
      findings.add(
        'etcd.no-leader',
        'critical',
        `${who} has no leader`,
        { endpoint: m.endpoint },
        `no-leader:${label(m)}`,
      );
    }
    checkLatency(m, who, thresholds, findings);
    checkCounters(m, who, thresholds, findings);
  }
  checkTopology(members, leaders, quorum, findings);
  if (findings.list.length === 0) {
    const leader = members.find((m) => m.isLeader);
    findings.add(
      'etcd.healthy',
      'info',
      `etcd healthy: ${total} member(s), leader ${leader ? label(leader) : (leaders[0] ?? 'unknown')}, fsync and commit p99 within ${thresholds.fsyncP99Ms}/${thresholds.commitP99Ms} ms`,
    );
  }
  return { members, thresholds, windowMs, leaders, quorum };
}

function checkLatency(m: EtcdMember, who: string, t: EtcdThresholds, findings: Findings): void {
  if (m.walFsyncP99Ms !== undefined && m.walFsyncP99Ms > t.fsyncP99Ms) {
    findings.add(
      'etcd.fsync-slow',
      'warning',
      `${who}: WAL fsync p99 ${m.walFsyncP99Ms} ms over ${t.fsyncP99Ms} ms (${m.basis.latency}, from histogram buckets)`,
      { endpoint: m.endpoint, p99Ms: m.walFsyncP99Ms },
      `fsync:${label(m)}`,
    );
  }
  if (m.backendCommitP99Ms !== undefined && m.backendCommitP99Ms > t.commitP99Ms) {
    findings.add(
      'etcd.commit-slow',
      'warning',
      `${who}: backend commit p99 ${m.backendCommitP99Ms} ms over ${t.commitP99Ms} ms (${m.basis.latency}, from histogram buckets)`,
      { endpoint: m.endpoint, p99Ms: m.backendCommitP99Ms },
      `commit:${label(m)}`,
    );
  }
  for (const [peer, rtt] of Object.entries(m.peerRttP99Ms)) {
    if (rtt > t.peerRttP99Ms) {
      findings.add(
        'etcd.peer-rtt-high',
        'warning',
        `${who}: round trip to peer ${peer} p99 ${rtt} ms over ${t.peerRttP99Ms} ms`,
        { endpoint: m.endpoint, peer, p99Ms: rtt },
        `peer-rtt:${label(m)}>${peer}`,
      );
    }
  }
  for (const [peer, failures] of Object.entries(m.peerSendFailures)) {
    findings.add(
      'etcd.peer-send-failures',
      'warning',
      `${who}: ${failures} message(s) to peer ${peer} failed to send (${m.basis.counters})`,
      { endpoint: m.endpoint, peer, failures },
      `peer-fail:${label(m)}>${peer}`,
    );
  }
}

function checkCounters(m: EtcdMember, who: string, t: EtcdThresholds, findings: Findings): void {
  const changes = m.leaderChangesInWindow;
  if (changes !== undefined && changes > 0) {
    const severe = changes >= t.leaderChanges;
    findings.add(
      'etcd.leader-changes',
      severe ? 'critical' : 'warning',
      `${who} saw ${changes} leader change(s) (${m.basis.counters})${severe ? `, at or over ${t.leaderChanges}` : ''}`,
      { endpoint: m.endpoint, changes },
      `leader-changes:${label(m)}`,
    );
  }
  if (m.proposalsFailedInWindow !== undefined && m.proposalsFailedInWindow > 0) {
    findings.add(
      'etcd.proposals-failed',
      'warning',
      `${who}: ${m.proposalsFailedInWindow} proposal(s) failed (${m.basis.counters})`,
      { endpoint: m.endpoint, failed: m.proposalsFailedInWindow },
      `proposals:${label(m)}`,
    );
  }
}

function checkTopology(
  members: EtcdMember[],
  leaders: string[],
  quorum: EtcdEvidence['quorum'],
  findings: Findings,
): void {
  if (leaders.length > 1) {
    findings.add('etcd.split-leaders', 'critical', `etcd members disagree on the leader: ${leaders.join(', ')}`, {
      leaders,
    });
  }
  const terms = [...new Set(members.flatMap((m) => (m.raftTerm === undefined ? [] : [m.raftTerm])))];
  if (terms.length > 1) {
    findings.add(
      'etcd.term-diverged',
      'warning',
      `etcd members are at different raft terms: ${terms.sort((a, b) => a - b).join(', ')}`,
      { terms },
    );
  }
  if (!quorum.hasQuorum && members.length > 0) {
    findings.add(
      'etcd.quorum-lost',
      'critical',
      `etcd has no healthy quorum: ${quorum.reachable} of ${quorum.total} members reachable`,
      quorum,
    );
  }
}
