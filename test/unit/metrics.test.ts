// Prometheus text parsing and histogram quantiles, on hand-made buckets whose
// answers are known and on real etcd captures (test/fixtures/evidence).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { assessEtcd, DEFAULT_ETCD_THRESHOLDS } from '../../activities/collectors/etcd/assess.ts';
import { parseEtcdStatus } from '../../activities/collectors/etcd/client.ts';
import { readMember } from '../../activities/collectors/etcd/member.ts';
import {
  fractionAbove,
  histogram,
  isBucketEdge,
  parsePrometheus,
  quantile,
  since,
  sum,
  type Histogram,
} from '../../activities/collectors/metrics/index.ts';
import { Findings } from '../../activities/collectors/result.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/evidence/${name}`, import.meta.url), 'utf8');
const h = (pairs: [number, number][]): Histogram => ({
  buckets: pairs.map(([le, count]) => ({ le, count })),
  count: pairs[pairs.length - 1]?.[1] ?? 0,
  sum: 0,
});

describe('prometheus text', () => {
  test('reads labels with escapes, +Inf, NaN and timestamps', () => {
    const scrape = parsePrometheus(
      [
        '# HELP x_total A counter.',
        '# TYPE x_total counter',
        'x_total{path="/a\\"b",code="200"} 3 1700000000000',
        'x_total{path="/c",code="500"} 2',
        'y_bucket{le="+Inf"} 7',
        'z NaN',
        'not a sample',
      ].join('\n'),
    );
    expect(scrape.types.x_total).toBe('counter');
    expect(scrape.samples[0]).toEqual({ name: 'x_total', labels: { path: '/a"b', code: '200' }, value: 3 });
    expect(sum(scrape, 'x_total')).toBe(5);
    expect(sum(scrape, 'x_total', { code: '500' })).toBe(2);
    expect(scrape.samples.find((s) => s.name === 'y_bucket')).toEqual({
      name: 'y_bucket',
      labels: { le: '+Inf' },
      value: 7,
    });
    expect(Number.isNaN(scrape.samples.find((s) => s.name === 'z')?.value)).toBe(true);
    expect(scrape.skipped).toBe(1);
  });
});

describe('histogram quantiles (histogram_quantile semantics)', () => {
  const buckets = h([
    [1, 10],
    [2, 20],
    [4, 40],
    [Number.POSITIVE_INFINITY, 40],
  ]);

  test('interpolates linearly inside the bucket holding the rank', () => {
    expect(quantile(buckets, 0.5)).toBeCloseTo(2, 10);
    expect(quantile(buckets, 0.99)).toBeCloseTo(3.96, 10);
    expect(quantile(buckets, 0.25)).toBeCloseTo(1, 10);
    expect(quantile(buckets, 0.1)).toBeCloseTo(0.4, 10); // first bucket starts at 0
  });

  test('a rank in the +Inf bucket answers the highest finite bound', () => {
    expect(
      quantile(
        h([
          [1, 10],
          [Number.POSITIVE_INFINITY, 20],
        ]),
        0.99,
      ),
    ).toBe(1);
  });

  test('no observations, no quantile', () => {
    expect(
      quantile(
        h([
          [1, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
        0.99,
      ),
    ).toBeUndefined();
  });

  test('the share above a value that is not a bucket edge is interpolated', () => {
    // CoreDNS-like buckets: 32 ms and 64 ms edges; 50 ms sits between them.
    const dns = h([
      [0.032, 90],
      [0.064, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(isBucketEdge(dns, 0.05)).toBe(false);
    // 90 + 10 × (18/32) = 95.625 observations at or below 50 ms.
    expect(fractionAbove(dns, 0.05)).toBeCloseTo(0.04375, 10);
    expect(fractionAbove(dns, 0.064)).toBeCloseTo(0, 10);
  });

  test('the difference of two scrapes covers only the observations between them', () => {
    const before = h([
      [1, 10],
      [2, 10],
      [Number.POSITIVE_INFINITY, 10],
    ]);
    const after = h([
      [1, 10],
      [2, 30],
      [Number.POSITIVE_INFINITY, 30],
    ]);
    const window = since(after, before);
    expect(window.count).toBe(20);
    expect(quantile(window, 0.5)).toBeCloseTo(1.5, 10);
    // A restarted process (counts went down) falls back to the later scrape alone.
    expect(since(before, after)).toBe(before);
  });
});

describe('etcd captures', () => {
  const leader = parsePrometheus(fixture('etcd-metrics-leader.txt'));

  test('reads WAL fsync and backend commit histograms from a real etcd', () => {
    const fsync = histogram(leader, 'etcd_disk_wal_fsync_duration_seconds');
    expect(fsync?.count).toBeGreaterThan(100);
    expect(fsync?.buckets[fsync.buckets.length - 1]?.le).toBe(Number.POSITIVE_INFINITY);
    expect(quantile(fsync!, 0.99)).toBeGreaterThan(0);
  });

  test('a member read from its capture: leader, term, db size, p99s', () => {
    const status = parseEtcdStatus(JSON.parse(fixture('etcd-status-leader.json')));
    const started = sum(leader, 'process_start_time_seconds') as number;
    const member = readMember({
      endpoint: 'http://c',
      status,
      scrape: leader,
      windowMs: 900_000,
      now: started * 1000 + 60_000,
    });
    expect(member.isLeader).toBe(true);
    expect(member.hasLeader).toBe(true);
    expect(member.raftTerm).toBe(2);
    expect(member.dbSizeBytes).toBe(40960);
    expect(member.walFsyncP99Ms).toBeGreaterThan(0);
    expect(member.leaderChangesInWindow).toBe(0); // the first election is not a change
    expect(Object.keys(member.peerRttP99Ms)).toHaveLength(2);
  });

  test('after the leader was cut off: one leader change; a lone member has no leader', () => {
    const after = parsePrometheus(fixture('etcd-metrics-after-election.txt'));
    const lonely = parsePrometheus(fixture('etcd-metrics-no-leader.txt'));
    const started = sum(after, 'process_start_time_seconds') as number;
    const now = started * 1000 + 60_000;
    const status = parseEtcdStatus(JSON.parse(fixture('etcd-status-after-election.json')));
    const elected = readMember({ endpoint: 'http://a', status, scrape: after, windowMs: 900_000, now });
    expect(elected.leaderChangesInWindow).toBe(1);
    const alone = readMember({
      endpoint: 'http://a',
      scrape: lonely,
      health: { healthy: false, reason: 'RAFT NO LEADER' },
      windowMs: 900_000,
      now,
    });
    expect(alone.hasLeader).toBe(false);
    const findings = new Findings('etcd');
    assessEtcd([alone], DEFAULT_ETCD_THRESHOLDS, 900_000, findings);
    expect(findings.list.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['etcd.unhealthy', 'etcd.no-leader', 'etcd.leader-changes']),
    );
  });
});
