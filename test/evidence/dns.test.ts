// The DNS collector against a real CoreDNS: healthy answers, NXDOMAIN, lost
// queries (erratic drops every 2nd), slow answers, a dead server, and lookups
// from inside another network namespace.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDnsCollector } from '../../activities/collectors/dns/index.ts';
import { dnsFrom } from '../../activities/collectors/netns/index.ts';
import type { StepCall } from '../../model/index.ts';
import { corednsAvailable, startCoredns, type TestCoredns } from './helpers/coredns.ts';
import { freePort } from './helpers/ports.ts';

const call = (params: StepCall['params']): StepCall => ({
  params,
  context: { workflowId: 'test', runbook: 'test', stepId: 'gather', key: 'test/gather' },
});

const run = corednsAvailable() ? describe : describe.skip;
if (!corednsAvailable())
  console.warn('SKIPPED DNS collector tests: .tools/bin/coredns is missing (scripts/build-servers.sh coredns)');

run('dns collector against a real CoreDNS', () => {
  let dns: TestCoredns;
  const collector = createDnsCollector({});
  beforeAll(async () => {
    dns = await startCoredns();
  });
  afterAll(async () => {
    await dns?.stop();
  });

  test('healthy lookups: p50/p95/max, no loss, and CoreDNS request metrics with the interpolation named', async () => {
    const result = await collector(
      call({
        servers: [dns.server],
        names: ['cart.shop.test', 'payment.shop.test'],
        corednsMetrics: [dns.metricsUrl],
        samples: 30,
      }),
    );
    const t = result.evidence?.targets[0];
    expect(t?.from).toBe('worker');
    expect(t?.samples).toBe(30);
    expect(t?.answered).toBe(30);
    expect(t?.timeouts).toBe(0);
    expect(t?.p95Ms).toBeGreaterThanOrEqual(t?.p50Ms ?? 0);
    expect(result.findings.map((f) => f.kind)).toContain('dns.healthy');
    const c = result.evidence?.coredns[0];
    expect(c?.requests).toBeGreaterThanOrEqual(30);
    expect(c?.byRcode.NOERROR).toBeGreaterThanOrEqual(30);
    expect(c?.slowNote).toContain('interpolated');
  });

  test('unknown names count as NXDOMAIN', async () => {
    const result = await collector(call({ servers: [dns.server], names: ['missing.shop.test'], samples: 5 }));
    expect(result.evidence?.targets[0]?.nxdomain).toBe(5);
    expect(result.findings.map((f) => f.kind)).toContain('dns.nxdomain');
  });

  test('lost queries become timeouts and a critical loss finding, within the query timeout', async () => {
    const result = await collector(
      call({ servers: [dns.server], names: ['a.lossy.test'], samples: 20, queryTimeout: '300ms', concurrency: 5 }),
    );
    const t = result.evidence?.targets[0];
    expect(t?.timeouts).toBeGreaterThanOrEqual(8);
    expect(t?.timeouts).toBeLessThanOrEqual(12);
    const loss = result.findings.find((f) => f.kind === 'dns.loss');
    expect(loss?.severity).toBe('critical');
    expect(loss?.summary).toMatch(/got no answer within 300 ms/);
  });

  test('slow answers are a dns.slow finding', async () => {
    const result = await collector(call({ servers: [dns.server], names: ['a.slow.test'], samples: 10 }));
    expect(result.evidence?.targets[0]?.answeredP95Ms).toBeGreaterThanOrEqual(75);
    expect(result.findings.map((f) => f.kind)).toContain('dns.slow');
  });

  test('a server that is down yields findings within the timeout, not an exception', async () => {
    const port = await freePort();
    const result = await collector(
      call({
        servers: [`127.0.0.1:${port}`],
        corednsMetrics: [`http://127.0.0.1:${port}/metrics`],
        samples: 6,
        queryTimeout: '250ms',
      }),
    );
    expect(result.evidence?.targets[0]?.timeouts).toBe(6);
    expect(result.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['dns.loss', 'dns.metrics-unavailable']));
  });

  test('no server known is a finding that says how to give one', async () => {
    const result = await collector(call({}));
    expect(result.ok).toBe(false);
    expect(result.findings[0]?.summary).toContain('servers');
  });
});

const root = process.getuid?.() === 0;
const runNetns = corednsAvailable() && root ? describe : describe.skip;
if (!root) console.warn('SKIPPED DNS-from-a-network-namespace test: needs root');

runNetns('dns lookups from inside a network namespace', () => {
  const netns = `nstest-${randomBytes(3).toString('hex')}`;
  let dns: TestCoredns;
  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    dns = await startCoredns({ netns, port: 5300 + Math.floor(Math.random() * 500) });
  });
  afterAll(async () => {
    await dns?.stop();
    execFileSync('ip', ['netns', 'del', netns]);
  });

  test('the namespace has its own loopback: lookups answer inside it and time out outside', async () => {
    const plan = { servers: [dns.server], names: ['cart.shop.test'], samples: 4, timeoutMs: 300, concurrency: 2 };
    const inside = await dnsFrom(netns, plan, 10_000);
    expect(inside.map((s) => s.outcome)).toEqual(['NOERROR', 'NOERROR', 'NOERROR', 'NOERROR']);
    const outside = await dnsFrom(undefined, plan, 10_000);
    expect(outside.every((s) => s.outcome === 'TIMEOUT' || s.outcome === 'ERROR')).toBe(true);
  });
});
