// etcd-unhealthy: a member unreachable, without a leader or unhealthy; leader
// changes; slow disk (WAL fsync, backend commit). It affects the control
// plane, not the data path: the remedy is a person, never a workload restart.
import { citeKinds, clamp, type Signals } from '../signals.ts';
import type { Candidate } from './candidate.ts';
import { dataDrops } from './datapath.ts';

export function etcdUnhealthy(s: Signals): Candidate | undefined {
  const etcd = s.etcd?.v;
  if (!etcd) return undefined;
  const label = (m: (typeof etcd.members)[number]) => m.name ?? m.endpoint;
  const unreachable = etcd.members.filter((m) => !m.reachable);
  const unhealthy = etcd.members.filter((m) => m.reachable && (m.healthy === false || m.hasLeader === false));
  const changes = Math.max(0, ...etcd.members.map((m) => m.leaderChangesInWindow ?? 0));
  const fsync = etcd.members.filter((m) => (m.walFsyncP99Ms ?? 0) > etcd.thresholds.fsyncP99Ms);
  const commit = etcd.members.filter((m) => (m.backendCommitP99Ms ?? 0) > etcd.thresholds.commitP99Ms);
  if (!unreachable.length && !unhealthy.length && changes === 0 && !fsync.length && !commit.length) return undefined;

  let c = 0;
  if (unreachable.length || unhealthy.length) c = 0.6;
  if (!etcd.quorum.hasQuorum) c += 0.1;
  if (changes >= etcd.thresholds.leaderChanges) c = Math.max(c, 0.5) + 0.1;
  else if (changes > 0) c += c ? 0.1 : 0.3;
  if (fsync.length || commit.length) c = c ? c + 0.05 : 0.3 + (fsync.length && commit.length ? 0.05 : 0);
  if ((s.kube?.v.api.p50Ms ?? 0) > 1000) c += 0.05;
  const dataPathFine = dataDrops(s).length === 0 && citeKinds(s, 'dns.loss').length === 0;
  if (c >= 0.5 && dataPathFine) c += 0.1;

  const parts = [
    unreachable.length ? `${unreachable.map(label).join(', ')} unreachable` : '',
    unhealthy.length ? `${unhealthy.map(label).join(', ')} without a leader or unhealthy` : '',
    changes ? `${changes} leader change(s) in the window` : '',
    fsync.length ? `WAL fsync p99 over ${etcd.thresholds.fsyncP99Ms} ms on ${fsync.map(label).join(', ')}` : '',
    commit.length ? `backend commit p99 over ${etcd.thresholds.commitP99Ms} ms on ${commit.map(label).join(', ')}` : '',
  ].filter(Boolean);
  return {
    id: 'etcd-unhealthy',
    confidence: clamp(c),
    explanation: `etcd is unhealthy (${parts.join('; ')})${dataPathFine ? ' while the data path looks fine' : ''}: page the control-plane owner and do not restart workloads.`,
    evidence: citeKinds(
      s,
      'etcd.member-unreachable',
      'etcd.unhealthy',
      'etcd.no-leader',
      'etcd.quorum-lost',
      'etcd.leader-changes',
      'etcd.split-leaders',
      'etcd.fsync-slow',
      'etcd.commit-slow',
      'kubernetes.api-slow',
    ),
    remediations: [],
  };
}
