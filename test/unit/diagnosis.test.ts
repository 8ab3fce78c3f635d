// The diagnosis on the evidence shape of every docs/scenario.md failure, as a
// cluster shows it (Hubble's flows, the agents' samples, the API server): the
// expected hypothesis comes first, cites its evidence, offers fitting
// remediations, never offers a destructive one below 0.5, and says
// `no-fault-found` when nothing is wrong. nightshift's own faults only
// attribute: with them hidden, every ranking and confidence is the same.
import { describe, expect, test } from '@jest/globals';
import { diagnose, HYPOTHESES } from '../../activities/diagnosis/index.ts';
import type { CollectorResult } from '../../model/index.ts';
import {
  bundle,
  CART2_POD,
  CART_POD,
  dnsResult,
  dnsTarget,
  etcdMember,
  etcdResult,
  faultsResult,
  flow,
  flowsResult,
  FRONTEND_POD,
  healthyDns,
  healthyEtcd,
  kubeResult,
  nodesResult,
  probeResult,
  shopTraffic,
} from '../evidence/helpers/bundles.ts';

type Parts = Partial<Record<'flows' | 'dns' | 'etcd' | 'kube' | 'nodes' | 'probe' | 'faults', CollectorResult>>;

function healthy(over: Parts = {}): CollectorResult[] {
  return [
    over.flows ?? flowsResult(shopTraffic()),
    over.dns ?? healthyDns(),
    over.etcd ?? healthyEtcd(),
    over.kube ?? kubeResult(),
    over.nodes ?? nodesResult(),
    over.probe ?? probeResult(1),
    over.faults ?? faultsResult([]),
  ];
}

const run = (over: Parts = {}) => diagnose(bundle(healthy(over)), { namespace: 'production' });
const ids = (d: ReturnType<typeof diagnose>) => d.hypotheses.map((h) => `${h.id} ${h.confidence}`);

/** DNS measured alike from the frontend and both cart workloads. */
const dnsEverywhere = (stats: Parameters<typeof dnsTarget>[2]) =>
  dnsResult([
    dnsTarget(FRONTEND_POD, 'production/checkout-frontend', stats),
    dnsTarget(CART_POD, 'production/cart-service-v1', stats),
    dnsTarget(CART2_POD, 'production/cart-service-v2', stats),
  ]);

describe('diagnosis', () => {
  test('nothing wrong: no-fault-found, with what was checked', () => {
    const d = run();
    expect(d.hypotheses[0]?.id).toBe('no-fault-found');
    expect(d.hypotheses[0]?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(d.hypotheses[0]?.explanation).toMatch(/Nothing looks wrong: probe 100% success/);
    expect(d.hypotheses[0]?.evidence).toEqual(
      expect.arrayContaining(['gather.probe#probe.healthy', 'gather.flows#flows.clean', 'gather.dns#dns.healthy']),
    );
    expect(d.coverage.failed).toEqual([]);
  });

  test("a window's tail of unanswered queries and connections on busy pairs is not loss", () => {
    const tail = [
      ...flow({ from: 'production/checkout-frontend', to: '10.96.0.10', port: 53, protocol: 'UDP', count: 900 }),
      ...flow({
        from: 'production/checkout-frontend',
        to: '10.96.0.10',
        port: 53,
        protocol: 'UDP',
        answered: false,
        count: 26,
      }),
      ...flow({ from: 'production/checkout-frontend', to: 'finance/payment-processor', port: 8080, count: 300 }),
      ...flow({
        from: 'production/checkout-frontend',
        to: 'finance/payment-processor',
        port: 8080,
        answered: false,
        count: 5,
      }),
    ];
    const d = run({ flows: flowsResult(shopTraffic(tail)) });
    expect(ids(d)[0]).toMatch(/^no-fault-found /);
    expect(d.hypotheses.map((h) => h.id)).not.toContain('dns-loss');
    expect(d.hypotheses.map((h) => h.id)).not.toContain('pod-to-pod-drop');
    // The same queries unanswered at a share that is loss: dns-loss.
    const lossy = flow({
      from: 'production/checkout-frontend',
      to: '10.96.0.10',
      port: 53,
      protocol: 'UDP',
      answered: false,
      count: 400,
    });
    const lost = run({ flows: flowsResult(shopTraffic([...tail, ...lossy])) });
    expect(lost.hypotheses.find((h) => h.id === 'dns-loss')?.explanation).toMatch(/426 DNS queries seen on the wire/);
  });

  test('pod-to-pod drop: frontend → cart dropped by a fault, probe failing', () => {
    const d = run({
      flows: flowsResult(
        shopTraffic(
          flow({
            from: 'production/checkout-frontend',
            to: 'production/cart-service-v1',
            port: 80,
            answered: false,
            count: 120,
            node: 'lab-node-1',
          }),
        ),
      ),
      probe: probeResult(0.1, 1500, { timeout: 180 }),
      faults: faultsResult([
        {
          faultId: 'fault-abc',
          kind: 'drop',
          state: 'holding',
          namespace: 'production',
          selector: 'app=checkout-frontend',
          direction: 'egress',
          protocol: 'tcp',
          ports: '80',
        },
      ]),
    });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('pod-to-pod-drop');
    expect(top?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(top?.title).toBe(HYPOTHESES['pod-to-pod-drop']);
    expect(top?.explanation).toContain(
      '120 of 210 connection(s) production/checkout-frontend → production/cart-service-v1 TCP/80 got no answer',
    );
    expect(top?.explanation).toContain('This matches active nightshift fault fault-abc.');
    expect(top?.evidence).toEqual(
      expect.arrayContaining([
        'gather.flows#unanswered:production/checkout-frontend>production/cart-service-v1:tcp/80',
        'gather.faults#active:fault-abc',
      ]),
    );
    expect(top?.remediations.map((r) => r.action)).toEqual(['stop-fault']);
    expect(top?.remediations[0]?.params).toEqual({ faultId: 'fault-abc' });
  });

  test('DNS packet loss from the frontend: dns-loss, with a DNS restart offered only because confidence is high', () => {
    const d = run({
      dns: dnsResult([
        dnsTarget(FRONTEND_POD, 'production/checkout-frontend', {
          timeouts: 10,
          answered: 10,
          lossRatio: 0.5,
          p95Ms: 1000,
          maxMs: 1000,
        }),
        dnsTarget(CART_POD, 'production/cart-service-v1'),
      ]),
      flows: flowsResult(
        shopTraffic(
          flow({
            from: 'production/checkout-frontend',
            to: '10.96.0.10',
            port: 53,
            protocol: 'UDP',
            answered: false,
            count: 30,
            node: 'lab-node-1',
          }),
        ),
      ),
      probe: probeResult(0.7, 5200, { timeout: 60 }),
    });
    const top = d.hypotheses[0];
    expect(ids(d)[0]).toMatch(/^dns-loss /);
    expect(top?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(top?.explanation).toContain('10 of 20 lookups to 10.96.0.10 got no answer');
    expect(top?.remediations.map((r) => r.action)).toContain('rollout-restart');
    expect(top?.explanation).toContain('30 DNS queries seen on the wire got no reply');
    expect(d.hypotheses.find((h) => h.id === 'pod-to-pod-drop')).toBeUndefined(); // port 53 is DNS's
  });

  test('node network loss: node-network-loss first; DNS loss of pods on that node does not outrank it', () => {
    const d = run({
      nodes: nodesResult('lab-node-2', 4),
      dns: dnsResult([
        dnsTarget('pod production/checkout-frontend-7d9f8b6c4-abcd1', 'production/checkout-frontend', {
          timeouts: 6,
          answered: 14,
          lossRatio: 0.3,
        }),
        dnsTarget(FRONTEND_POD, 'production/checkout-frontend'),
      ]),
      flows: flowsResult(
        shopTraffic([
          ...flow({
            from: 'production/checkout-frontend',
            to: 'production/cart-service-v1',
            port: 80,
            answered: false,
            count: 20,
            node: 'lab-node-2',
          }),
          ...flow({
            from: 'production/checkout-frontend',
            to: 'finance/payment-processor',
            port: 8080,
            answered: false,
            count: 12,
            node: 'lab-node-2',
          }),
        ]),
      ),
      probe: probeResult(0.85, 900, { timeout: 30 }),
    });
    expect(ids(d)[0]).toMatch(/^node-network-loss /);
    const top = d.hypotheses[0];
    expect(top?.explanation).toContain('node lab-node-2');
    expect(top?.remediations).toEqual([
      expect.objectContaining({ action: 'cordon-node', params: { node: 'lab-node-2' }, destructive: true }),
    ]);
    const pod = d.hypotheses.find((h) => h.id === 'pod-to-pod-drop');
    expect(pod?.confidence ?? 0).toBeLessThan(top?.confidence ?? 0);
  });

  test('node network loss measured from one node only: connections to every workload on the node go unanswered; node faults only attribute', () => {
    const toNode2 = (from: string, to: string, port: number, count: number) =>
      flow({ from, to, port, answered: false, count, node: 'lab-node-1' });
    const faults = faultsResult([
      {
        faultId: 'node-egress',
        kind: 'drop',
        state: 'holding',
        node: 'lab-node-2',
        protocol: 'any',
        direction: 'egress',
      },
      {
        faultId: 'node-ingress',
        kind: 'drop',
        state: 'holding',
        node: 'lab-node-2',
        protocol: 'any',
        direction: 'ingress',
      },
    ]);
    const parts = {
      nodes: nodesResult('lab-node-2', 3, ['lab-node-1']),
      kube: kubeResult({ nodeOf: { 'cart-service-v2': 'lab-node-2', 'payment-processor': 'lab-node-2' } }),
      flows: flowsResult(
        shopTraffic([
          ...toNode2('production/checkout-frontend', 'production/cart-service-v2', 80, 25),
          ...toNode2('production/checkout-frontend', 'finance/payment-processor', 8080, 30),
        ]),
      ),
      probe: probeResult(0.3, 2500, { 'http-502': 98, timeout: 42 }),
    };
    const d = run({ ...parts, faults });
    expect(ids(d)[0]).toMatch(/^node-network-loss /);
    expect(d.hypotheses[0]?.explanation).toMatch(/node lab-node-2.*connections to workloads on it go unanswered/);
    expect(d.hypotheses[0]?.explanation).toContain('This matches active nightshift fault node-egress, node-ingress.');
    expect(d.hypotheses[0]?.remediations.map((r) => r.action)).toEqual(['stop-fault', 'stop-fault', 'cordon-node']);
    const pod = d.hypotheses.find((h) => h.id === 'pod-to-pod-drop');
    expect(pod?.explanation).toContain('which loses packets to its peers');
    expect(pod?.confidence ?? 0).toBeLessThan(d.hypotheses[0]!.confidence - 0.2);
    const hidden = run(parts);
    expect(ids(hidden)).toEqual(ids(d));
    expect(hidden.hypotheses[0]?.remediations.map((r) => r.action)).toEqual(['cordon-node']);
  });

  test('etcd member cut off: etcd-unhealthy, no workload remediation, data path fine', () => {
    const d = run({
      etcd: etcdResult([
        etcdMember('etcd-1', { leaderChangesInWindow: 1 }),
        etcdMember('etcd-2', { leaderChangesInWindow: 1 }),
        etcdMember('etcd-3', { healthy: false, hasLeader: false, isLeader: false }),
      ]),
    });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('etcd-unhealthy');
    expect(top?.confidence).toBeGreaterThanOrEqual(0.7);
    expect(top?.remediations).toEqual([]);
    expect(top?.explanation).toMatch(/page the control-plane owner/);
    expect(top?.evidence).toEqual(
      expect.arrayContaining(['gather.etcd#unhealthy:etcd-3', 'gather.etcd#no-leader:etcd-3']),
    );
  });

  test('bad canary seen at L7: canary-failing, shift the route to the stable backend', () => {
    const d = run({
      flows: flowsResult(
        shopTraffic([
          ...flow({
            from: 'production/checkout-frontend',
            to: 'production/cart-service-v2',
            port: 80,
            http: 500,
            count: 10,
          }),
          ...flow({
            from: 'production/checkout-frontend',
            to: 'production/cart-service-v1',
            port: 80,
            http: 200,
            count: 90,
          }),
        ]),
      ),
      probe: probeResult(0.9, 30, { 'http-500': 20 }),
    });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('canary-failing');
    expect(top?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(top?.explanation).toContain('cart-service-v2');
    expect(top?.remediations).toEqual([
      {
        id: 'shift-store-traffic-split-to-cart-service-v1',
        title: 'Send all of HTTPRoute production/store-traffic-split to cart-service-v1',
        action: 'shift-route-weight',
        params: { namespace: 'production', route: 'store-traffic-split', backend: 'cart-service-v1' },
        destructive: false,
      },
    ]);
  });

  test('bad canary beside a few connections a window cut short: the 5xx canary stays first; a real cut would not', () => {
    const canary = [
      ...flow({
        from: 'production/checkout-frontend',
        to: 'production/cart-service-v2',
        port: 80,
        http: 500,
        count: 10,
      }),
      ...flow({
        from: 'production/checkout-frontend',
        to: 'production/cart-service-v1',
        port: 80,
        http: 200,
        count: 90,
      }),
    ];
    const edge = flow({
      from: 'production/checkout-frontend',
      to: 'finance/payment-processor',
      port: 8080,
      answered: false,
      count: 2,
    });
    const probe = probeResult(0.9, 30, { 'http-502': 20 });
    const busy = run({ flows: flowsResult(shopTraffic([...canary, ...edge])), probe });
    expect(ids(busy)[0]).toMatch(/^canary-failing /);
    expect(busy.hypotheses[0]?.confidence).toBeGreaterThanOrEqual(0.8);
    expect(busy.hypotheses.find((h) => h.id === 'pod-to-pod-drop')).toBeUndefined();

    const cut = flow({
      from: 'production/checkout-frontend',
      to: 'finance/payment-processor',
      port: 8080,
      answered: false,
      count: 30,
    });
    const cutOff = run({ flows: flowsResult(shopTraffic([...canary, ...cut])), probe });
    expect(ids(cutOff)[0]).toMatch(/^pod-to-pod-drop /);
  });

  test('bad canary without L7 flows: the error share matching the canary weight still points at it', () => {
    const d = run({ probe: probeResult(0.9, 30, { 'http-500': 20 }) });
    expect(d.hypotheses[0]?.id).toBe('canary-failing');
    expect(d.hypotheses[0]?.confidence).toBeGreaterThanOrEqual(0.5);
  });

  test('slow service: service-latency; slow DNS from the delayed workload alone is not dns-slow', () => {
    const d = run({
      probe: probeResult(1, 240, {}, 25),
      dns: dnsResult([
        dnsTarget(FRONTEND_POD, 'production/checkout-frontend'),
        dnsTarget(CART_POD, 'production/cart-service-v1', { answeredP95Ms: 201, p95Ms: 201, p50Ms: 200 }),
        dnsTarget(CART2_POD, 'production/cart-service-v2'),
      ]),
      faults: faultsResult([
        {
          faultId: 'fault-slow',
          kind: 'delay',
          state: 'holding',
          namespace: 'production',
          selector: 'app=cart-service-v1',
          direction: 'egress',
          protocol: 'tcp',
        },
      ]),
    });
    expect(ids(d)[0]).toMatch(/^service-latency /);
    expect(d.hypotheses[0]?.remediations.map((r) => r.params)).toEqual([{ faultId: 'fault-slow' }]);
    const dns = d.hypotheses.find((h) => h.id === 'dns-slow');
    expect(dns?.confidence).toBeLessThan(0.5);
    expect(dns?.remediations).toEqual([]); // the DNS restart is destructive: not below 0.5
  });

  test('slow DNS everywhere (a delay in front of CoreDNS): dns-slow before the slow requests it causes', () => {
    const slow = { answeredP95Ms: 240, p95Ms: 240, p50Ms: 180, maxMs: 260 };
    const d = run({
      probe: probeResult(1, 700, {}, 25),
      dns: dnsEverywhere(slow),
    });
    expect(ids(d)[0]).toMatch(/^dns-slow /);
    expect(d.hypotheses[0]?.explanation).toMatch(/CoreDNS itself answers quickly/);
    const latency = d.hypotheses.find((h) => h.id === 'service-latency');
    expect(latency?.explanation).toMatch(/lookups from 3 workloads are slow too/);
    expect(latency?.confidence).toBeLessThan(d.hypotheses[0]?.confidence ?? 0);
  });

  // Hubble's answer times, timed at each server: the probe (from the host) waits on the frontend, the frontend on the cart.
  const answers = (frontendMs: number, cartMs: number) => [
    ...flow({
      from: '10.200.0.1',
      to: 'production/checkout-frontend',
      port: 8080,
      http: 200,
      latencyMs: frontendMs,
      count: 40,
    }),
    ...flow({
      from: 'production/checkout-frontend',
      to: 'production/cart-service-v1',
      port: 80,
      http: 200,
      latencyMs: cartMs,
      count: 40,
    }),
    ...flow({
      from: 'production/checkout-frontend',
      to: 'finance/payment-processor',
      port: 8080,
      http: 200,
      latencyMs: 9,
      count: 20,
    }),
  ];

  test('a slow service while lookups are slowish everywhere (a busy machine): the time is spent inside the cart, service-latency', () => {
    const slowish = { answeredP95Ms: 80, p95Ms: 80, p50Ms: 63, maxMs: 95 };
    const dns = dnsEverywhere(slowish);
    const probe = probeResult(1, 480, {}, 25);
    const d = run({ probe, dns, flows: flowsResult(shopTraffic(answers(430, 404))) });
    expect(ids(d)[0]).toMatch(/^service-latency /);
    expect(d.hypotheses[0]?.explanation).toMatch(
      /production\/cart-service-v1 answers slowly itself \(p95 404 ms .*also production\/checkout-frontend\); its own typical lookup takes 63 ms/,
    );
    const dnsSlow = d.hypotheses.find((h) => h.id === 'dns-slow');
    expect(dnsSlow?.explanation).toMatch(/but the slow requests wait on production\/cart-service-v1/);
    expect(dnsSlow?.confidence).toBeLessThan((d.hypotheses[0]?.confidence ?? 0) - 0.2);
    // Without the answer times (Hubble without L7 visibility) the same lookups excuse the slow requests.
    const blind = run({ probe, dns });
    expect(ids(blind)[0]).toMatch(/^dns-slow /);
    // Nor do they once the measurer's own share is set apart (40 ms of each was its wait for the CPU).
    const fair = { ...slowish, selfP50Ms: 40 };
    const measured = run({
      probe,
      dns: dnsEverywhere(fair),
    });
    expect(ids(measured)[0]).toMatch(/^service-latency /);
    expect(measured.hypotheses.find((h) => h.id === 'dns-slow')).toBeUndefined();
  });

  test("slow DNS with Hubble's answer times: the frontend that resolves names is slow, the cart is fast, still dns-slow", () => {
    const slow = { answeredP95Ms: 390, p95Ms: 390, p50Ms: 320, maxMs: 400 };
    const d = run({
      probe: probeResult(1, 1500, {}, 25),
      dns: dnsEverywhere(slow),
      flows: flowsResult(shopTraffic(answers(1500, 4))),
    });
    expect(ids(d)[0]).toMatch(/^dns-slow /);
    expect(d.hypotheses.find((h) => h.id === 'service-latency')?.explanation).toMatch(
      /lookups from 3 workloads are slow too/,
    );
  });

  test('a slow server whose own lookups can make up its time is not where the time starts: dns-slow', () => {
    const slow = { answeredP95Ms: 240, p95Ms: 240, p50Ms: 180, maxMs: 260 };
    const d = run({
      probe: probeResult(1, 700, {}, 25),
      dns: dnsEverywhere(slow),
      flows: flowsResult(shopTraffic(answers(700, 400))),
    });
    expect(ids(d)[0]).toMatch(/^dns-slow /);
    expect(d.hypotheses.find((h) => h.id === 'service-latency')?.explanation).not.toMatch(/answers slowly itself/);
  });

  test('a slow service on a busy node: DNS slow only in its tail (p95, not p50) is neither dns-slow nor an excuse', () => {
    const tail = { answeredP95Ms: 90, p95Ms: 90, p50Ms: 8, maxMs: 120 };
    const d = run({
      probe: probeResult(1, 450, {}, 25),
      dns: dnsEverywhere(tail),
    });
    expect(ids(d)[0]).toMatch(/^service-latency /);
    expect(d.hypotheses.find((h) => h.id === 'dns-slow')?.confidence).toBeLessThan(0.5);
    expect(d.hypotheses.find((h) => h.id === 'dns-slow')?.explanation).toMatch(/^DNS is slow only in its tail/);
  });

  test('CoreDNS itself slow: dns-slow, more sure than when only the pods see it', () => {
    const slow = { answeredP95Ms: 240, p95Ms: 240, p50Ms: 180, maxMs: 260 };
    const targets = [
      dnsTarget(FRONTEND_POD, 'production/checkout-frontend', slow),
      dnsTarget(CART_POD, 'production/cart-service-v1', slow),
    ];
    const inFront = run({ probe: probeResult(1, 700, {}, 25), dns: dnsResult(targets) });
    const itself = run({ probe: probeResult(1, 700, {}, 25), dns: dnsResult(targets, 230) });
    expect(ids(itself)[0]).toMatch(/^dns-slow /);
    expect(itself.hypotheses[0]?.explanation).toMatch(/CoreDNS itself reports p95 230 ms/);
    expect(itself.hypotheses[0]?.confidence).toBeGreaterThan(inFront.hypotheses[0]?.confidence ?? 1);
  });

  test('a Service without ready endpoints: endpoints-empty with a rollback', () => {
    const d = run({ kube: kubeResult({ cartReady: 0 }), probe: probeResult(0.1, 40, { 'http-503': 180 }) });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('endpoints-empty');
    expect(top?.remediations[0]).toEqual(
      expect.objectContaining({
        action: 'rollback-deployment',
        params: { namespace: 'production', deployment: 'cart-service-v1' },
      }),
    );
  });

  test('pods cut off by lost packets also fail readiness: the cut comes first, the empty endpoints are its consequence', () => {
    const fault = faultsResult([
      {
        faultId: 'fault-cart',
        kind: 'drop',
        state: 'holding',
        namespace: 'production',
        selector: 'app=cart-service-v1',
        direction: 'ingress',
        protocol: 'tcp',
        ports: '80',
      },
    ]);
    const probe = probeResult(0.1, 40, { 'http-502': 180 });
    const unanswered = flow({
      from: 'production/checkout-frontend',
      to: 'production/cart-service-v1',
      port: 80,
      answered: false,
      count: 80,
    });
    const parts = { kube: kubeResult({ cartReady: 0 }), probe, flows: flowsResult(shopTraffic(unanswered)) };
    const withFaults = run({ ...parts, faults: fault });
    expect(ids(withFaults)[0]).toMatch(/^pod-to-pod-drop /);
    expect(withFaults.hypotheses.find((h) => h.id === 'endpoints-empty')?.explanation).toContain(
      'lost packets also fail readiness probes',
    );
    expect(withFaults.hypotheses[0]?.remediations[0]?.params).toEqual({ faultId: 'fault-cart' });
    expect(ids(run(parts))).toEqual(ids(withFaults));
    // A Deployment scaled to zero is a cause, not a consequence.
    const scaled = run({ kube: kubeResult({ cartReady: 0, cartReplicas: 0 }), probe });
    expect(ids(scaled)[0]).toMatch(/^endpoints-empty /);
    // Prometheus still scraping the pods that went away: their old addresses answer nothing, and that is no cut.
    const scrapes = flow({ from: 'host', to: 'production/cart-service-v1', port: 9901, count: 4, answered: false });
    const stale = run({
      kube: kubeResult({ cartReady: 0, cartReplicas: 0 }),
      probe,
      flows: flowsResult(shopTraffic(scrapes)),
    });
    expect(ids(stale)[0]).toMatch(/^endpoints-empty /);
    expect(stale.hypotheses.find((h) => h.id === 'pod-to-pod-drop')).toBeUndefined();
    // The same silence towards pods that still exist is a cut.
    const cut = run({ kube: kubeResult({ cartReady: 0 }), probe, flows: flowsResult(shopTraffic(scrapes)) });
    expect(cut.hypotheses.find((h) => h.id === 'pod-to-pod-drop')).toBeDefined();
  });

  test('unready pods whose readiness probes time out: the cut comes first, even where Hubble saw none of it', () => {
    // A cut deeper than any client Hubble watches: only the kubelet's probes still try, and time out.
    const probe = probeResult(0.1, 40, { 'http-502': 180 });
    const timeout = 'dial tcp 10.244.1.12:80: i/o timeout';
    const d = run({ kube: kubeResult({ cartReady: 0, cartProbe: timeout }), probe });
    expect(ids(d)[0]).toMatch(/^pod-to-pod-drop /);
    expect(d.hypotheses[0]?.explanation).toMatch(/readiness probe\(s\) on TCP\/80 timed out/);
    expect(d.hypotheses[0]?.evidence).toEqual(expect.arrayContaining(['gather.kubernetes#events:Unhealthy']));
    const empty = d.hypotheses.find((h) => h.id === 'endpoints-empty');
    expect(empty?.confidence).toBeLessThan(d.hypotheses[0]?.confidence ?? 0);
    expect(empty?.explanation).toMatch(/lost packets also fail readiness probes/);

    // The process itself refusing, or answering 503, is the workload's own: no cut.
    for (const own of [
      'dial tcp 10.244.1.12:80: connect: connection refused',
      'HTTP probe failed with statuscode: 503',
    ]) {
      const refused = run({ kube: kubeResult({ cartReady: 0, cartProbe: own }), probe });
      expect(ids(refused)[0]).toMatch(/^endpoints-empty /);
      expect(refused.hypotheses.find((h) => h.id === 'pod-to-pod-drop')).toBeUndefined();
    }
  });

  test('an active fault with nothing a cluster shows of it ranks nothing: the registry only attributes', () => {
    const fault = faultsResult([
      {
        faultId: 'fault-x',
        kind: 'drop',
        state: 'holding',
        namespace: 'production',
        selector: 'app=cart-service-v1',
        direction: 'ingress',
        protocol: 'tcp',
        ports: '80',
      },
    ]);
    const d = run({ faults: fault });
    expect(ids(d)).toEqual(ids(run()));
    expect(d.hypotheses[0]?.id).toBe('no-fault-found');
  });

  test('policy drops that the analyser explains: policy-denies names the policy and offers its restore', () => {
    const d = run({
      kube: kubeResult({ policyChangedAt: '2026-11-26T02:50:00Z' }),
      flows: flowsResult(
        shopTraffic(
          flow({
            from: 'production/checkout-frontend',
            to: 'finance/payment-processor',
            port: 8080,
            verdict: 'DROPPED',
            reason: 'POLICY_DENIED',
            count: 40,
            node: 'lab-node-1',
          }),
        ),
      ),
      probe: probeResult(0.2, 50, { 'http-502': 160 }),
    });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('policy-denies');
    expect(top?.explanation).toContain('CiliumNetworkPolicy finance/secure-payment-gateway');
    expect(top?.remediations[0]).toEqual(
      expect.objectContaining({
        action: 'restore-policy',
        params: { kind: 'CiliumNetworkPolicy', namespace: 'finance', name: 'secure-payment-gateway' },
      }),
    );
  });

  test('the 3 AM policy seen from an alert on production alone: policy-denies says why each rule misses, and how to fix it', () => {
    // Only production's pods were read; the finance policy comes from the cluster-wide list, payment's labels from Hubble.
    const d = run({
      kube: kubeResult({ policyChangedAt: '2026-11-26T02:59:30Z', read: ['production'] }),
      flows: flowsResult(
        shopTraffic([
          ...flow({
            from: 'production/checkout-frontend',
            to: 'finance/payment-processor',
            port: 8080,
            verdict: 'DROPPED',
            reason: 'POLICY_DENIED',
            count: 40,
            node: 'lab-node-1',
          }),
          ...flow({
            from: 'finance/payment-processor',
            to: 'kube-system/kube-dns',
            port: 53,
            protocol: 'UDP',
            verdict: 'DROPPED',
            reason: 'POLICY_DENIED',
            count: 12,
            node: 'lab-node-1',
          }),
        ]),
      ),
      probe: probeResult(0.2, 50, { 'http-502': 160 }),
    });
    const top = d.hypotheses[0];
    expect(top?.id).toBe('policy-denies');
    expect(top?.confidence).toBeCloseTo(0.95);
    const text = top?.explanation ?? '';
    // The denied flow, the policy and when it changed.
    expect(text).toContain(
      'Cilium drops production/checkout-frontend → finance/payment-processor TCP/8080 (POLICY_DENIED)',
    );
    expect(text).toContain('CiliumNetworkPolicy finance/secure-payment-gateway');
    expect(text).toContain('changed at 2026-11-26T02:59:30Z');
    // Why the rule does not match: it is scoped to finance.
    expect(text).toMatch(
      /spec\.ingress\[0\] does not match: endpoints \{app=checkout-frontend\} only in namespace finance; the peer is in production/,
    );
    // Payment's own lookups: denied, with Cilium's drops counted.
    expect(text).toContain(
      "finance/payment-processor's own DNS lookups are denied too (Cilium dropped 12 of its lookups)",
    );
    // The corrected rules: the namespace label on the ingress selector, and a DNS egress rule.
    expect(text).toContain(
      'Suggested: in CiliumNetworkPolicy finance/secure-payment-gateway, fromEndpoints[0] names namespace production',
    );
    expect(text).toContain('k8s:io.kubernetes.pod.namespace: production');
    expect(text).toMatch(/spec\.egress\[\+\] = .*k8s-app: kube-dns.*port: "53"/);
    expect(top?.remediations[0]).toEqual(
      expect.objectContaining({
        action: 'restore-policy',
        params: { kind: 'CiliumNetworkPolicy', namespace: 'finance', name: 'secure-payment-gateway' },
      }),
    );
  });

  test('same evidence, same answer', () => {
    const parts = { probe: probeResult(0.9, 30, { 'http-500': 20 }) };
    expect(JSON.stringify(run(parts))).toBe(JSON.stringify(run(parts)));
  });

  test('collectors that gave nothing lower the no-fault-found confidence and are named', () => {
    const failed = (collector: string): CollectorResult => ({
      collector,
      ok: false,
      durationMs: 10000,
      findings: [{ kind: 'collector.failed', severity: 'warning', summary: 'timeout', source: collector }],
    });
    const d = diagnose(bundle([probeResult(1), failed('flows'), failed('dns'), failed('etcd')]));
    expect(d.hypotheses[0]?.id).toBe('no-fault-found');
    expect(d.hypotheses[0]?.confidence).toBeLessThan(0.7);
    expect(d.hypotheses[0]?.explanation).toContain('no evidence from flows, dns, etcd');
  });

  test('every hypothesis id is in the catalogue, with a title and a one-sentence explanation', () => {
    const d = run({ probe: probeResult(0.5, 400, { timeout: 100 }), nodes: nodesResult('lab-node-1', 3) });
    for (const h of d.hypotheses) {
      expect(Object.keys(HYPOTHESES)).toContain(h.id);
      expect(h.title.length).toBeGreaterThan(5);
      expect(h.explanation.trim().endsWith('.')).toBe(true);
      expect(h.confidence).toBeGreaterThanOrEqual(0);
      expect(h.confidence).toBeLessThanOrEqual(1);
    }
  });

  describe('how far the evidence goes', () => {
    const failed = (collector: string, summary: string): CollectorResult => ({
      collector,
      ok: false,
      durationMs: 10,
      findings: [{ kind: `${collector}.unavailable`, severity: 'warning', summary, source: collector }],
    });
    const nothing = [
      failed('probe', 'probe collector: no probe URL (set NIGHTSHIFT_PROBE_URL or the "url" param)'),
      failed('flows', 'flows collector: no Hubble Relay configured'),
      failed('dns', 'dns collector: no DNS server known'),
      failed('etcd', 'etcd collector: no etcd endpoints configured'),
      failed('kubernetes', 'kubernetes collector: no Kubernetes access configured'),
      failed('node-network', 'node-network collector: no Kubernetes access configured'),
    ];

    test('every collector failing: cannot tell, naming what gave nothing, and no hypothesis to act on', () => {
      const d = diagnose(bundle(nothing), { namespace: 'production' });
      expect(d.outcome).toBe('cannot-tell');
      expect(d.hypotheses).toEqual([]);
      expect(d.headline).toBe(
        'Cannot tell: the symptom could not be seen (no evidence from probe, flows, dns, etcd, kubernetes, node-network).',
      );
    });

    test('a healthy symptom alone: no-fault-found, citing the symptom', () => {
      const d = diagnose(bundle([probeResult(1), ...nothing.slice(1)]), { namespace: 'production' });
      expect(d.outcome).toBe('ranked');
      expect(d.hypotheses.map((h) => h.id)).toEqual(['no-fault-found']);
      expect(d.hypotheses[0]?.evidence).toEqual(['gather.probe#probe.healthy']);
      expect(d.hypotheses[0]?.explanation).toMatch(
        /^Nothing looks wrong: probe 100% success, p95 \d+ ms; no evidence from flows/,
      );
      expect(d.headline).toMatch(/^Most likely: The evidence shows nothing wrong \(\d+%\)\.$/);
    });

    test('a failing symptom nobody explains is never "nothing wrong": unexplained, weak leads first', () => {
      const d = diagnose(bundle([probeResult(0.5, 40, { 'http-502': 100 }), ...nothing.slice(1)]), {
        namespace: 'production',
      });
      expect(d.outcome).toBe('unexplained');
      expect(d.hypotheses.map((h) => h.id)).not.toContain('no-fault-found');
      expect(d.hypotheses.every((h) => h.confidence < 0.5)).toBe(true);
      expect(d.headline).toMatch(
        /^Unexplained: checkout probe: 50% success .*http-502 ×100\), and nothing gathered explains it \(no evidence from flows, dns, etcd, kubernetes, node-network\)\.$/,
      );
    });

    test('unexplained with HTTP answers seen: the headline names the service that answers worst', () => {
      const errors = [
        ...flow({
          from: 'production/checkout-frontend',
          to: 'finance/payment-processor',
          port: 8080,
          count: 40,
          http: 502,
        }),
      ];
      const d = diagnose(
        bundle([probeResult(0.5, 40, { 'http-502': 100 }), flowsResult(shopTraffic(errors)), ...nothing.slice(2)]),
        { namespace: 'production' },
      );
      expect(d.outcome).toBe('unexplained');
      expect(d.headline).toMatch(
        /^Unexplained: checkout probe: 50% success .*; the service answering worst is finance\/payment-processor \(\d+ of \d+ HTTP answers 5xx\), and nothing gathered explains why/,
      );
    });

    test('without a symptom, a cause seen directly still ranks; no-fault-found never does', () => {
      const etcd = etcdResult([
        etcdMember('etcd-1', { leaderChangesInWindow: 1 }),
        etcdMember('etcd-2', { leaderChangesInWindow: 1 }),
        etcdMember('etcd-3', { healthy: false, hasLeader: false, isLeader: false }),
      ]);
      const d = run({ probe: failed('probe', 'probe collector: no probe URL'), etcd });
      expect(d.outcome).toBe('ranked');
      expect(d.hypotheses[0]?.id).toBe('etcd-unhealthy');
      expect(d.hypotheses.map((h) => h.id)).not.toContain('no-fault-found');
      expect(d.headline).toMatch(/^Most likely: etcd is unhealthy: leader, members or disk \(\d+%\)\.$/);
      const quiet = run({ probe: failed('probe', 'probe collector: no probe URL') });
      expect(quiet.outcome).toBe('cannot-tell');
      expect(quiet.headline).toMatch(/found nothing that explains an alert\.$/);
    });
  });
});
