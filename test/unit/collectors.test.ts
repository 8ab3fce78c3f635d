// The collectors' pure parts: DNS statistics,
// CoreDNS metrics (a real capture), HTTPRoute reading, node-pair loss, the
// probe's baseline, and the environment that configures the clients.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { evidenceDepsFromEnv, evidenceSources, EvidenceConfigError } from '../../activities/collectors/index.ts';
import { classify, kubeAccessMissing, kubeFromConfig } from '../../activities/collectors/kubernetes/client.ts';
import { ApiException } from '@kubernetes/client-node';
import { corednsStats, createDnsCollector, dnsStats } from '../../activities/collectors/dns/index.ts';
import { findDns } from '../../activities/collectors/dns/findings.ts';
import { readRoute, httpRouteSchema } from '../../activities/collectors/kubernetes/index.ts';
import { workloadOf } from '../../activities/collectors/kubernetes/inventory.ts';
import { parsePrometheus } from '../../activities/collectors/metrics/index.ts';
import { commonNode, pairStats } from '../../activities/collectors/nodes/index.ts';
import { budget, Findings } from '../../activities/collectors/result.ts';
import type { DnsLookupSample } from '../../model/index.ts';
import { assessProbe, baselineOf, DEFAULT_PROBE_THRESHOLDS, typicalP95Of } from '../../activities/probes/index.ts';

describe('DNS', () => {
  test('statistics are per lookup: a lookup without an answer is a timeout, a retried one a stall, cut ones are left out', () => {
    const lookup = (
      ms: number,
      outcome: DnsLookupSample['outcome'] = 'NOERROR',
      over: Partial<DnsLookupSample> = {},
    ): DnsLookupSample => ({
      name: 'n',
      ms,
      outcome,
      answers: 1,
      queries: 2,
      lost: 0,
      unknown: 0,
      retries: 0,
      ...over,
    });
    const samples = [
      ...Array.from({ length: 16 }, (_, i) => lookup(0.5 + i * 0.01)),
      lookup(5000.4, 'NOERROR', { queries: 4, lost: 1, retries: 2 }), // a lost AAAA: single-request retry
      lookup(10_002, 'TIMEOUT', { queries: 4, lost: 4, retries: 2 }),
      lookup(1800, 'PENDING', { queries: 2, lost: 2 }), // still waiting on lost queries at the end
      lookup(0.7, 'SERVFAIL'),
      lookup(40, 'PENDING', { queries: 2, unknown: 2 }), // cut before anything could be told
    ];
    const s = dnsStats(samples, { from: 'pod p', server: 's', kind: 'cluster-dns' });
    expect(s).toMatchObject({
      samples: 20,
      answered: 18,
      timeouts: 2,
      failed: 1,
      pending: 1,
      cut: 1,
      stalls: 1,
      servfail: 1,
      lossRatio: 0.1,
      maxMs: 10_002,
      queries: 46,
      lostQueries: 7,
      retries: 4,
    });
    expect(s.queryLossRatio).toBeCloseTo(7 / 44, 3);
    expect(s.p95Ms).toBe(5000.4);
    // Slowness apart from loss: the retried lookup is left out.
    expect(s.answeredP95Ms).toBe(0.7);
    expect(s.p50Ms).toBeCloseTo(0.59, 2);
  });

  test("the measurer's own share is set apart: lookups slow only by the helper's waits for the CPU are not slow DNS", () => {
    const samples = Array.from({ length: 20 }, (_, i): DnsLookupSample => ({
      name: 'n',
      ms: 60 + i,
      outcome: 'NOERROR',
      answers: 1,
      queries: 2,
      lost: 0,
      unknown: 0,
      retries: 0,
    }));
    const judged = (selfP50Ms?: number) => {
      const findings = new Findings('dns');
      const target = dnsStats(samples, { from: 'pod p', server: 's', kind: 'cluster-dns' }, undefined, selfP50Ms);
      findDns(
        {
          names: ['kubernetes.default'],
          servers: [],
          targets: [target],
          coredns: [],
          slowMs: 50,
          queryTimeoutMs: 1000,
        },
        findings,
      );
      return findings.list.filter((f) => f.kind === 'dns.slow').map((f) => f.summary);
    };
    expect(judged()).toEqual([expect.stringMatching(/^from pod p: DNS p95 78 ms to s \(p50 69 ms\) is over 50 ms/)]);
    expect(judged(45)).toEqual([]);
    expect(judged(20)).toEqual([expect.stringMatching(/\(p50 69 ms, less the measurer's own 20 ms\)/)]);
  });

  test('CoreDNS metrics from a real capture: rcodes, and the share over 50 ms interpolated', () => {
    const scrape = parsePrometheus(
      readFileSync(new URL('../fixtures/evidence/coredns-metrics.txt', import.meta.url), 'utf8'),
    );
    const c = corednsStats('http://x/metrics', scrape, 50);
    expect(c.requests).toBe(270);
    expect(c.byRcode.NXDOMAIN).toBe(20);
    // 30 of 270 requests were answered 80 ms late (slow.test): about 11 % over 50 ms.
    expect(c.slowShare).toBeGreaterThan(0.08);
    expect(c.slowShare).toBeLessThan(0.13);
    expect(c.slowNote).toMatch(/interpolated linearly inside the bucket.*50 ms is not a bucket edge/);
    expect(c.p99Ms).toBeGreaterThan(50);
  });
});

describe('HTTPRoutes', () => {
  const route = (backends: { name: string; weight?: number }[], generation = 2, observed = 2) =>
    readRoute(
      httpRouteSchema.parse({
        metadata: { name: 'r', namespace: 'production', generation },
        spec: { rules: [{ backendRefs: backends }] },
        status: {
          parents: [
            {
              parentRef: { name: 'gw' },
              conditions: [{ type: 'Accepted', status: 'True', observedGeneration: observed }],
            },
          ],
        },
      }),
    );

  test('a missing weight is 1; shares are proportional within the rule', () => {
    const r = route([{ name: 'a' }, { name: 'b', weight: 3 }]);
    expect(r.rules[0]?.backends.map((b) => [b.name, b.weight, b.share])).toEqual([
      ['a', 1, 0.25],
      ['b', 3, 0.75],
    ]);
    expect(r.rules[0]?.split).toEqual({ stable: 'b', canaries: ['a'] });
  });

  test('weight 0 carries no traffic and equal weights are no canary split', () => {
    expect(
      route([
        { name: 'a', weight: 100 },
        { name: 'b', weight: 0 },
      ]).rules[0]?.split,
    ).toBeUndefined();
    expect(
      route([
        { name: 'a', weight: 50 },
        { name: 'b', weight: 50 },
      ]).rules[0]?.split,
    ).toBeUndefined();
  });

  test('status written for an older generation is not trusted', () => {
    expect(route([{ name: 'a' }], 3, 2).statusCurrent).toBe(false);
    expect(route([{ name: 'a' }], 3, 3).statusCurrent).toBe(true);
  });

  test('a pod belongs to the Deployment named by its ReplicaSet minus the template hash', () => {
    const pod = {
      metadata: {
        name: 'cart-service-v1-6d4f9b7c8-x2x7q',
        labels: { 'pod-template-hash': '6d4f9b7c8', app: 'cart' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-service-v1-6d4f9b7c8', uid: 'u' }],
      },
    };
    expect(workloadOf(pod, [])).toBe('cart-service-v1');
  });
});

describe('node pairs', () => {
  test('loss and latency per pair; refused connects are answers', () => {
    const p = pairStats('a', 'b', [
      { target: 'b', ms: 0.3, outcome: 'refused' },
      { target: 'b', ms: 0.5, outcome: 'connected' },
      { target: 'b', ms: 500, outcome: 'timeout' },
      { target: 'b', ms: 1, outcome: 'unreachable' },
    ]);
    expect(p).toEqual({ from: 'a', to: 'b', attempts: 4, lost: 2, lossRatio: 0.5, p50Ms: 0.3, p95Ms: 0.5 });
  });

  test('the node in every lossy pair is named; two nodes that only lose to each other are not', () => {
    const lossy = (from: string, to: string) => ({ from, to, attempts: 10, lost: 3, lossRatio: 0.3 });
    expect(commonNode([lossy('n1', 'n2'), lossy('n2', 'n3'), lossy('n3', 'n2')])).toBe('n2');
    expect(commonNode([lossy('n1', 'n2'), lossy('n2', 'n1')])).toBeUndefined();
    expect(commonNode([lossy('n1', 'n2')])).toBeUndefined();
  });
});

describe('probe', () => {
  const row = (t: number, p95Ms: number, failures = 0) => ({
    t,
    requests: 20,
    failures,
    successRate: 1 - failures / 20,
    p95Ms,
    failureKinds: {},
  });

  test('the baseline is the seconds before the window; slow is 2× the baseline and 50 ms over it', () => {
    const rows = [
      ...Array.from({ length: 50 }, (_, i) => row(i, 20)),
      ...Array.from({ length: 10 }, (_, i) => row(50 + i, 240)),
    ];
    const baseline = baselineOf({ rows }, 10);
    expect(baseline).toEqual({ seconds: 50, successRate: 1, p95Ms: 20, requestsPerSecond: 20 });
    const findings = new Findings('probe');
    assessProbe(
      {
        url: 'u',
        windowSeconds: 10,
        baseline,
        errorRatio: 0,
        summary: { successRate: 1, requests: 200, failures: 0, p50Ms: 200, p95Ms: 240, p99Ms: 250, failureKinds: {} },
      },
      DEFAULT_PROBE_THRESHOLDS,
      findings,
    );
    expect(findings.list.map((f) => f.kind)).toEqual(['probe.slow']);
  });

  test('a second or two of hiccup raises the window p95 but not its typical second: not slow; a slow service raises both', () => {
    const hiccup = [
      ...Array.from({ length: 50 }, (_, i) => row(i, 40)),
      ...Array.from({ length: 10 }, (_, i) => row(50 + i, i < 2 ? 400 : 45)),
    ];
    const baseline = baselineOf({ rows: hiccup }, 10);
    const typicalP95Ms = typicalP95Of({ rows: hiccup }, 10);
    expect(typicalP95Ms).toBe(45);
    const calm = new Findings('probe');
    assessProbe(
      {
        url: 'u',
        windowSeconds: 10,
        baseline,
        typicalP95Ms,
        errorRatio: 0,
        summary: { successRate: 1, requests: 200, failures: 0, p50Ms: 30, p95Ms: 390, p99Ms: 400, failureKinds: {} },
      },
      DEFAULT_PROBE_THRESHOLDS,
      calm,
    );
    expect(calm.list.map((f) => f.kind)).toEqual(['probe.healthy']);

    const delayed = [
      ...Array.from({ length: 50 }, (_, i) => row(i, 40)),
      ...Array.from({ length: 10 }, (_, i) => row(50 + i, 250)),
    ];
    const slow = new Findings('probe');
    assessProbe(
      {
        url: 'u',
        windowSeconds: 10,
        baseline: baselineOf({ rows: delayed }, 10),
        typicalP95Ms: typicalP95Of({ rows: delayed }, 10),
        errorRatio: 0,
        summary: { successRate: 1, requests: 200, failures: 0, p50Ms: 240, p95Ms: 255, p99Ms: 260, failureKinds: {} },
      },
      DEFAULT_PROBE_THRESHOLDS,
      slow,
    );
    expect(slow.list.map((f) => f.kind)).toEqual(['probe.slow']);
    expect(slow.list[0]?.summary).toContain('typical second 250 ms against 40 ms before');
  });

  test('hanging requests never fail, so a fall in completed requests is a finding', () => {
    const findings = new Findings('probe');
    const baseline = { seconds: 50, successRate: 1, p95Ms: 20, requestsPerSecond: 20 };
    assessProbe(
      {
        url: 'u',
        windowSeconds: 10,
        baseline,
        errorRatio: 0,
        summary: { successRate: 1, requests: 30, failures: 0, p50Ms: 10, p95Ms: 20, p99Ms: 25, failureKinds: {} },
      },
      DEFAULT_PROBE_THRESHOLDS,
      findings,
    );
    expect(findings.list.map((f) => f.kind)).toEqual(['probe.stalled']);
  });
});

describe('configuration from the environment', () => {
  test('every bad variable is named in one error', () => {
    expect(() => evidenceDepsFromEnv({ NIGHTSHIFT_HUBBLE_RELAY: 'relay', NIGHTSHIFT_PROBE_URL: 'not a url' })).toThrow(
      EvidenceConfigError,
    );
    expect(() => evidenceDepsFromEnv({ NIGHTSHIFT_HUBBLE_RELAY: 'relay', NIGHTSHIFT_PROBE_URL: 'not a url' })).toThrow(
      /NIGHTSHIFT_HUBBLE_RELAY: expected host:port[\s\S]*NIGHTSHIFT_PROBE_URL/,
    );
  });

  test('clients for what is configured, nothing for what is not', () => {
    const deps = evidenceDepsFromEnv({
      NIGHTSHIFT_HUBBLE_RELAY: '127.0.0.1:4245',
      NIGHTSHIFT_ETCD_ENDPOINTS: 'http://a:2379, http://b:2379',
      NIGHTSHIFT_CLUSTER_DNS: '10.96.0.10',
    });
    expect(deps.hubble?.address).toBe('127.0.0.1:4245');
    expect(deps.etcd?.endpoints).toEqual(['http://a:2379', 'http://b:2379']);
    expect(deps.dns).toEqual({ servers: ['10.96.0.10'] });
    expect(deps.probeUrl).toBeUndefined();
    deps.hubble?.close();
  });

  test('with no kubeconfig anywhere, the error says so and names the setting, not a TLS detail', () => {
    const home = mkdtempSync(join(tmpdir(), 'nightshift-home-'));
    const env = { HOME: home };
    expect(kubeAccessMissing(env)).toBe(
      `no Kubernetes access configured: KUBECONFIG is unset, ${home}/.kube/config does not exist, and this is not a pod ` +
        'in a cluster (no KUBERNETES_SERVICE_HOST and service-account token); set KUBECONFIG to a kubeconfig file',
    );
    expect(kubeAccessMissing({ ...env, KUBECONFIG: '/somewhere/kubeconfig' })).toBeUndefined();
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\n');
    expect(kubeAccessMissing(env)).toBeUndefined();
    expect(() => kubeFromConfig('/no/such/kubeconfig')).toThrow(
      'KUBECONFIG names /no/such/kubeconfig, which does not exist',
    );
    rmSync(home, { recursive: true, force: true });
  });

  test("a refusal keeps the API server's whole sentence, quotes and all: the verb, the resource and who was refused", () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message:
        'nodes is forbidden: User "system:serviceaccount:nightshift:nightshift-gateway" cannot list resource "nodes" in API group "" at the cluster scope',
      reason: 'Forbidden',
      code: 403,
    };
    for (const body of [JSON.stringify(status), status])
      expect(classify(new ApiException(403, 'Forbidden', body, {}))).toEqual({
        kind: 'forbidden',
        message: status.message,
      });
    expect(classify(new ApiException(404, 'Not Found', '404 page not found\n', {}))).toEqual({
      kind: 'not-found',
      message: '404 page not found\n',
    });
  });

  test('the evidence sources a process has and lacks, each with what to set', () => {
    const home = mkdtempSync(join(tmpdir(), 'nightshift-home-'));
    const sources = evidenceSources({ HOME: home, NIGHTSHIFT_PROBE_URL: 'http://127.0.0.1:9470' });
    expect(sources.map((s) => [s.source, s.have])).toEqual([
      ['Kubernetes API', false],
      ['Hubble Relay', false],
      ['etcd', false],
      ['cluster DNS', false],
      ['CoreDNS metrics', false],
      ['traffic probe', true],
      ['Prometheus', false],
    ]);
    expect(sources.find((s) => s.source === 'Hubble Relay')?.detail).toBe('set NIGHTSHIFT_HUBBLE_RELAY=host:4245');
    expect(sources.find((s) => s.source === 'Prometheus')?.detail).toBe(
      'set NIGHTSHIFT_PROMETHEUS_URL=http://prometheus:9090 (without it the symptom is unknown)',
    );
    expect(sources.find((s) => s.source === 'traffic probe')?.detail).toBe(
      'NIGHTSHIFT_PROBE_URL=http://127.0.0.1:9470',
    );
    rmSync(home, { recursive: true, force: true });
  });
});

describe("a collector's time budget", () => {
  // Scheduled at 0, 6 s from its start, 8 s in all (2 s to start, as collectorOptions gives).
  const timeouts = { scheduledTimestampMs: 0, startToCloseTimeoutMs: 6000, scheduleToCloseTimeoutMs: 8000 };
  const planned = (startedAt: number) =>
    new MockActivityEnvironment(timeouts).run(async () => budget(8000, startedAt).deadline - startedAt);

  test('counts from its start: time spent waiting in the queue does not shorten it', async () => {
    expect(await planned(0)).toBe(5700);
    expect(await planned(1500)).toBe(5700);
  });

  test('a retry plans within what is left of the whole', async () => {
    expect(await planned(6500)).toBe(1200);
  });

  test('outside an activity, the fallback', () => {
    expect(budget(8000, 0).deadline).toBe(7700);
  });
});

describe('a DNS collector without time for lookups', () => {
  test('says so for each place it would have measured from, and never calls DNS healthy', async () => {
    // 1.5 s to run: less than the CoreDNS scrape and the agents' answers keep back.
    const timeouts = { scheduledTimestampMs: Date.now(), startToCloseTimeoutMs: 1500, scheduleToCloseTimeoutMs: 3500 };
    const collect = createDnsCollector({ servers: ['127.0.0.1:53'] });
    const call = {
      params: { corednsMetrics: [] },
      context: { workflowId: 't', runbook: 't', stepId: 'g', key: 't/g' },
    };
    let result: Awaited<ReturnType<typeof collect>> | undefined;
    await new MockActivityEnvironment(timeouts).run(async () => {
      result = await collect(call);
    });
    expect(result?.evidence?.targets).toEqual([]);
    expect(result?.evidence?.unmeasured).toEqual([{ from: 'worker', reason: expect.stringMatching(/^no time left/) }]);
    const kinds = result?.findings.map((f) => f.kind);
    expect(kinds).toContain('dns.vantage-failed');
    expect(kinds).not.toContain('dns.healthy');
  });
});
