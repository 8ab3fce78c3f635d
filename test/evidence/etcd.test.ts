// The etcd collector against a real 3-member etcd cluster on loopback.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createEtcdClient, createEtcdCollector } from '../../activities/collectors/etcd/index.ts';
import type { StepCall } from '../../model/index.ts';
import { etcdAvailable, startEtcdCluster, writeKeys, type EtcdTestCluster } from './helpers/etcd-cluster.ts';
import { freePort } from './helpers/ports.ts';

const call = (params: StepCall['params'] = {}): StepCall => ({
  params,
  context: { workflowId: 'test', runbook: 'test', stepId: 'gather', key: 'test/gather' },
});

const run = etcdAvailable() ? describe : describe.skip;
if (!etcdAvailable())
  console.warn('SKIPPED etcd collector tests: .tools/bin/etcd is missing (scripts/build-servers.sh etcd)');

run('etcd collector on a real cluster', () => {
  let cluster: EtcdTestCluster;
  const client = createEtcdClient();

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    await writeKeys(cluster.endpoints[0] as string, 50);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test('reports every member, one leader, raft figures and fsync/commit p99 from one endpoint', async () => {
    const collect = createEtcdCollector({ client, endpoints: [cluster.endpoints[0] as string] });
    const result = await collect(call());
    expect(result.ok).toBe(true);
    const evidence = result.evidence!;
    expect(evidence.members).toHaveLength(3);
    expect(evidence.members.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(evidence.leaders).toHaveLength(1);
    expect(evidence.members.filter((m) => m.isLeader)).toHaveLength(1);
    expect(evidence.quorum).toEqual({ reachable: 3, total: 3, hasQuorum: true });
    for (const m of evidence.members) {
      expect(m.reachable).toBe(true);
      expect(m.healthy).toBe(true);
      expect(m.raftTerm).toBeGreaterThan(0);
      expect(m.raftIndex).toBeGreaterThan(0);
      expect(m.dbSizeBytes).toBeGreaterThan(0);
      expect(m.walFsyncP99Ms).toBeGreaterThan(0);
      expect(m.backendCommitP99Ms).toBeGreaterThan(0);
      expect(Object.keys(m.peerRttP99Ms).length).toBeGreaterThanOrEqual(0);
    }
    const kinds = result.findings.map((f) => f.kind);
    expect(kinds).not.toContain('etcd.member-unreachable');
    expect(kinds).not.toContain('etcd.no-leader');
  });

  test('thresholds are configurable: a 1 µs fsync budget is exceeded', async () => {
    const collect = createEtcdCollector({ client, endpoints: cluster.endpoints });
    const result = await collect(call({ fsyncP99Ms: 0.001, commitP99Ms: 0.001 }));
    const kinds = result.findings.map((f) => f.kind);
    expect(kinds).toContain('etcd.fsync-slow');
    expect(kinds).toContain('etcd.commit-slow');
  });

  test('a member that stops answering becomes a finding within the collector timeout', async () => {
    const collect = createEtcdCollector({ client, endpoints: cluster.endpoints });
    // A follower: pausing the leader would leave the others leaderless until they elect one.
    const before = await collect(call({ discover: false }));
    const follower = cluster.members.find((m) =>
      before.evidence?.members.some((e) => e.endpoint === m.clientUrl && e.isLeader === false),
    );
    if (!follower)
      throw new Error(
        `no follower among ${JSON.stringify(before.evidence?.members.map((m) => [m.endpoint, m.isLeader]))}`,
      );
    cluster.pause(follower.name);
    try {
      const result = await collect(call({ discover: false }));
      const unreachable = result.findings.filter((f) => f.kind === 'etcd.member-unreachable');
      expect(unreachable).toHaveLength(1);
      expect(unreachable[0]?.summary).toContain(follower.clientUrl);
      expect(result.evidence?.quorum.reachable).toBe(2);
      expect(result.evidence?.quorum.hasQuorum).toBe(true);
    } finally {
      cluster.resume(follower.name);
    }
  });

  test('a member cut off from both peers loses its leader', async () => {
    cluster.pause('m1');
    cluster.pause('m2');
    try {
      await new Promise((r) => setTimeout(r, 1500)); // > election timeout
      const collect = createEtcdCollector({ client, endpoints: [cluster.endpoints[2] as string] });
      const result = await collect(call({ discover: false }));
      const kinds = result.findings.map((f) => f.kind);
      expect(kinds.some((k) => k === 'etcd.no-leader' || k === 'etcd.unhealthy')).toBe(true);
      expect(kinds).toContain('etcd.quorum-lost');
    } finally {
      cluster.resume('m1');
      cluster.resume('m2');
    }
  });
});

describe('etcd collector without a server', () => {
  test('a closed port is a finding, not an exception', async () => {
    const port = await freePort();
    const collect = createEtcdCollector({ client: createEtcdClient(), endpoints: [`http://127.0.0.1:${port}`] });
    const result = await collect(call());
    expect(result.findings.map((f) => f.kind)).toContain('etcd.member-unreachable');
    expect(result.findings[0]?.summary).toMatch(/ECONNREFUSED/);
  });

  test('no endpoints configured says how to configure them', async () => {
    const result = await createEtcdCollector(undefined)(call());
    expect(result.ok).toBe(false);
    expect(result.findings[0]?.kind).toBe('etcd.unavailable');
    expect(result.findings[0]?.summary).toContain('NIGHTSHIFT_ETCD_ENDPOINTS');
  });
});
