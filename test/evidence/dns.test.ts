// DNS against a real CoreDNS: the glibc-style resolver the agents use (a lost
// AAAA stalls a lookup for the timeout and then for single-request retries,
// as in a pod), and the DNS collector from the worker's own namespace (no
// pod to measure from): healthy answers, NXDOMAIN, lost queries (erratic
// drops every 2nd), slow answers, a dead server, no server at all.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDnsCollector } from '../../activities/collectors/dns/index.ts';
import { parseResolvConf, runLookups } from '../../activities/vantage/index.ts';
import type { StepCall } from '../../model/index.ts';
import { corednsAvailable, startCoredns, type TestCoredns } from './helpers/coredns.ts';
import { freePort } from './helpers/ports.ts';

const call = (params: StepCall['params']): StepCall => ({
  params,
  context: { workflowId: 'test', runbook: 'test', stepId: 'gather', key: 'test/gather' },
});

const run = corednsAvailable() ? describe : describe.skip;
if (!corednsAvailable())
  console.warn('SKIPPED DNS tests: .tools/bin/coredns is missing (scripts/build-servers.sh coredns)');

run('DNS against a real CoreDNS', () => {
  let dns: TestCoredns;
  // No pod, no Kubernetes, no agents: the worker resolves from its own namespace.
  const collector = createDnsCollector({});
  beforeAll(async () => {
    dns = await startCoredns();
  });
  afterAll(async () => {
    await dns?.stop();
  });

  const resolver = (text: string) => ({ ...parseResolvConf(text), nameservers: [dns.server] });

  test('the resolver walks the search path as glibc does: NXDOMAIN goes on, a refusal ends it', async () => {
    const plan = (search: string) => ({
      resolver: resolver(`search ${search}\noptions ndots:2`),
      names: ['cart'],
      lookups: 1,
      concurrency: 1,
      lossAfterMs: 1000,
      endBy: Date.now() + 10_000,
    });
    const [found] = await runLookups(plan('nope.shop.test shop.test'));
    // cart.nope.shop.test (NXDOMAIN, A and AAAA), then cart.shop.test.
    expect(found).toMatchObject({ outcome: 'NOERROR', answeredAs: 'cart.shop.test', answers: 1, queries: 4, lost: 0 });
    // CoreDNS has no block for elsewhere.test and refuses it (twice: attempts:2): glibc stops searching,
    // then tries "cart" as given, which is refused too.
    const [refused] = await runLookups(plan('elsewhere.test shop.test'));
    expect(refused).toMatchObject({ outcome: 'REFUSED', queries: 8 });
  });

  test('a lost query stalls the lookup for the timeout, then the single-request retries, as in a pod', async () => {
    const samples = await runLookups({
      resolver: resolver('options timeout:1 attempts:2'),
      names: ['a.lossy.test'],
      lookups: 2,
      concurrency: 1,
      lossAfterMs: 500,
      endBy: Date.now() + 20_000,
    });
    for (const s of samples) {
      // In the end the one answer that came is used...
      expect(s.outcome).toBe('NOERROR');
      expect(s.lost).toBeGreaterThanOrEqual(1);
      // ...after the resolver waited out a whole attempt.
      expect(s.ms).toBeGreaterThanOrEqual(1000);
    }
    // The first lookup switched the lane to single-request mode and asked again; the lane stays
    // switched (as a thread's resolver state does), so the next one gives up waiting sooner.
    expect(samples[0]?.retries).toBeGreaterThanOrEqual(1);
  });

  test('lookups still waiting at the end are cut and reported with their wait so far', async () => {
    const samples = await runLookups({
      resolver: resolver('options timeout:5'),
      names: ['a.lossy.test'],
      lookups: 4,
      concurrency: 4,
      lossAfterMs: 300,
      endBy: Date.now() + 800,
    });
    const pending = samples.filter((s) => s.outcome === 'PENDING');
    expect(pending.length).toBeGreaterThan(0);
    for (const s of pending) expect(s.lost + s.unknown).toBeGreaterThan(0);
  });

  test('healthy lookups: p50/p95/max, no loss, and CoreDNS request metrics with the interpolation named', async () => {
    const result = await collector(
      call({
        servers: [dns.server],
        names: ['cart.shop.test', 'payment.shop.test'],
        corednsMetrics: [dns.metricsUrl],
        samples: 30,
        // The machine is shared: a busy second must not read as slow DNS here.
        slowMs: 250,
      }),
    );
    const t = result.evidence?.targets[0];
    expect(t?.from).toBe('worker');
    expect(t?.samples).toBe(30);
    expect(t?.answered).toBe(30);
    expect(t?.timeouts).toBe(0);
    // A and AAAA for each lookup.
    expect(t?.queries).toBe(60);
    expect(t?.p95Ms).toBeGreaterThanOrEqual(t?.p50Ms ?? 0);
    expect(result.findings.map((f) => f.kind)).toContain('dns.healthy');
    const c = result.evidence?.coredns[0];
    expect(c?.requests).toBeGreaterThanOrEqual(60);
    expect(c?.byRcode.NOERROR).toBeGreaterThanOrEqual(60);
    expect(c?.slowNote).toContain('interpolated');
  });

  test('unknown names count as NXDOMAIN', async () => {
    const result = await collector(call({ servers: [dns.server], names: ['missing.shop.test'], samples: 5 }));
    expect(result.evidence?.targets[0]?.nxdomain).toBe(5);
    expect(result.findings.map((f) => f.kind)).toContain('dns.nxdomain');
  });

  test('lost queries leave lookups without an answer: a critical loss finding that counts the packets', async () => {
    const result = await collector(
      call({
        servers: [dns.server],
        names: ['a.lossy.test'],
        samples: 20,
        concurrency: 5,
        queryTimeout: '300ms',
        window: '1500ms',
      }),
    );
    const t = result.evidence?.targets[0];
    expect(t?.timeouts).toBeGreaterThan(0);
    expect(t?.lostQueries).toBeGreaterThan(0);
    const loss = result.findings.find((f) => f.kind === 'dns.loss');
    expect(loss?.severity).toBe('critical');
    expect(loss?.summary).toMatch(/lookups to 127\.0\.0\.1:\d+ got no answer.*query packets went unanswered/);
  });

  test('slow answers are a dns.slow finding', async () => {
    const result = await collector(call({ servers: [dns.server], names: ['a.slow.test'], samples: 10 }));
    expect(result.evidence?.targets[0]?.answeredP95Ms).toBeGreaterThanOrEqual(75);
    expect(result.findings.map((f) => f.kind)).toContain('dns.slow');
  });

  test('a server nothing listens on refuses at once (ECONNREFUSED): errors and findings, not an exception', async () => {
    const port = await freePort();
    const result = await collector(
      call({ servers: [`127.0.0.1:${port}`], corednsMetrics: [`http://127.0.0.1:${port}/metrics`], samples: 6 }),
    );
    expect(result.evidence?.targets[0]?.errors).toBe(6);
    expect(result.findings.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['dns.errors', 'dns.metrics-unavailable']),
    );
  });

  test('no pod and no server known is a finding that says how to give one', async () => {
    const result = await collector(call({}));
    expect(result.ok).toBe(false);
    expect(result.findings[0]?.summary).toContain('servers');
  });
});
