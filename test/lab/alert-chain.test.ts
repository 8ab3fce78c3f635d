// The real alerting chain in the lab: Prometheus scrapes the shop, the lab's
// servers and nightshift by service discovery and static targets under its
// own RBAC; a drop into the cart pods makes the shipped
// CheckoutErrorBudgetBurn rule fire; Alertmanager groups it and posts to the
// gateway (the chart's pod, through the lab's ingress) with the lab's bearer token; the run that starts is named by the
// alert's real fingerprint; Alertmanager's repeats start no second run; and
// when checkout recovers, the resolved notification reaches the run, which
// keeps waiting for its decision.
import { Client, Connection } from '@temporalio/client';
import { createDnsCollector } from '../../activities/collectors/dns/index.ts';
import { createEtcdClient, createEtcdCollector } from '../../activities/collectors/etcd/index.ts';
import { ScrapeMemory } from '../../activities/collectors/metrics/memory.ts';
import { promqlInstant } from '../../activities/collectors/metrics/promql.ts';
import type { StepCall } from '../../model/index.ts';
import { AlertmanagerDeliveries, cartDrop, followChain } from '../../cli/index.ts';
import { DNS_IP, kubeconfigPath, managedAlerts, PROMETHEUS_URL, ruleAlerts } from '../../lab/index.ts';
import { faultAbortSignal, faultLimits, abortSignal, statusQuery } from '../../workflows/index.ts';
import { kubectl, until } from './helpers/lab.ts';
import { useLab } from './helpers/use-lab.ts';

const targetSchema = (body: unknown) =>
  (body as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] } }).data
    .activeTargets;

describe('the alerting chain in the lab', () => {
  const lab = useLab();
  let client: Client;
  let deliveries: AlertmanagerDeliveries;
  let faultId = '';

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: lab.config.temporal.address }) });
    deliveries = await new AlertmanagerDeliveries(client).start();
  });
  afterAll(async () => {
    if (faultId) {
      await client?.workflow
        .getHandle(faultId)
        .signal(faultAbortSignal, { reason: 'test over' })
        .catch(() => undefined);
    }
    await client?.connection.close();
  });

  test('Prometheus finds and scrapes the shop, the control plane and nightshift', async () => {
    const expected = {
      'kubernetes-pods': 8,
      'kube-apiserver': 1,
      etcd: 3,
      coredns: 1,
      'lab-gateway': 1,
      'nightshift-gateway': 1,
      'nightshift-worker': 1,
      'nightshift-agent': 3,
    };
    const targets = await until('every target up', 60_000, async () => {
      const res = await fetch(`${PROMETHEUS_URL}/api/v1/targets?state=active`);
      const all = targetSchema(await res.json());
      const up = (job: string) => all.filter((t) => t.labels.job === job && t.health === 'up').length;
      return Object.entries(expected).every(([job, n]) => up(job) === n) ? all : undefined;
    }).catch(async (err: unknown) => {
      const res = await fetch(`${PROMETHEUS_URL}/api/v1/targets?state=active`);
      const seen = targetSchema(await res.json()).map(
        (t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`,
      );
      throw new Error(`${(err as Error).message}:\n${seen.join('\n')}`);
    });
    const shop = targets.filter((t) => t.labels.job === 'kubernetes-pods');
    expect(new Set(shop.map((t) => t.labels.app))).toEqual(
      new Set(['checkout-frontend', 'cart-service-v1', 'cart-service-v2', 'payment-processor', 'postgres-db']),
    );
    expect(shop.every((t) => t.labels.namespace && t.labels.pod && t.labels.node)).toBe(true);

    const ratio = await until('the checkout SLI recorded', 60_000, async () => {
      const [sample] = await promqlInstant(PROMETHEUS_URL, 'checkout:request_success:ratio_rate1m');
      return sample;
    });
    expect(ratio.labels).toMatchObject({ namespace: 'production', app: 'checkout-frontend' });
    expect(ratio.value).toBeGreaterThan(0.95);
  });

  test("without CoreDNS's /metrics in reach, the dns collector reads CoreDNS's figures from Prometheus", async () => {
    const collect = createDnsCollector({
      servers: [DNS_IP],
      metrics: ['http://127.0.0.1:9/metrics'],
      prometheusUrl: PROMETHEUS_URL,
      memory: new ScrapeMemory(),
    });
    const call: StepCall = {
      params: { names: ['kubernetes.default.svc.cluster.local'], samples: 5 },
      context: { workflowId: 'alert-chain-dns', runbook: 'test', stepId: 'gather', key: 'alert-chain-dns/gather' },
    };
    const result = await collect(call);
    expect(result.findings.map((f) => f.summary)).toContainEqual(
      expect.stringMatching(/CoreDNS metrics at http:\/\/127\.0\.0\.1:9\/metrics unavailable/),
    );
    const [coredns] = result.evidence?.coredns ?? [];
    expect(coredns?.endpoint).toBe(`10.200.0.1:9153 (through Prometheus ${PROMETHEUS_URL})`);
    expect(coredns?.requests).toBeGreaterThan(0);
    expect(coredns?.byRcode.NOERROR).toBeGreaterThan(0);
    expect(coredns?.p95Ms).toBeDefined();
  });

  test("without etcd's /metrics in reach, the etcd collector reads the members' figures from Prometheus", async () => {
    const context = {
      workflowId: 'alert-chain-etcd',
      runbook: 'test',
      stepId: 'gather',
      key: 'alert-chain-etcd/gather',
    };
    // The members answer status and health, but refuse nightshift their /metrics (as without the client certificate).
    const real = createEtcdClient();
    const client = { ...real, metrics: () => Promise.reject(new Error('403 no client certificate')) };
    const endpoints = ['http://10.200.0.21:2379'];
    const merged = await createEtcdCollector(
      { client, endpoints, memory: new ScrapeMemory() },
      PROMETHEUS_URL,
    )({
      params: {},
      context,
    });
    expect(merged.findings.map((f) => f.summary)).toContainEqual(
      expect.stringMatching(/^the \/metrics of etcd-1, etcd-2, etcd-3 read through Prometheus at /),
    );
    const members = merged.evidence?.members ?? [];
    expect(members.map((m) => m.name)).toEqual(['etcd-1', 'etcd-2', 'etcd-3']);
    for (const m of members) {
      expect(m.healthy).toBe(true); // from the member itself
      expect(m.walFsyncP99Ms).toBeGreaterThan(0); // from Prometheus
      expect(m.dbSizeBytes).toBeGreaterThan(0);
    }
    // With no member configured at all, every member Prometheus scrapes.
    const only = await createEtcdCollector(undefined, PROMETHEUS_URL)({ params: {}, context });
    expect((only.evidence?.members ?? []).map((m) => m.endpoint).sort()).toEqual(
      ['10.200.0.21:2379', '10.200.0.22:2379', '10.200.0.23:2379'].map(
        (i) => `${i} (through Prometheus ${PROMETHEUS_URL})`,
      ),
    );
    expect(only.evidence?.members.every((m) => (m.walFsyncP99Ms ?? 0) > 0 && m.hasLeader === true)).toBe(true);
  });

  test('Prometheus reads the API server as its own user, which may not read Secrets', async () => {
    const can = (verb: string, what: string) =>
      kubectl(kubeconfigPath(lab.config.dataDir), [
        'auth',
        'can-i',
        verb,
        what,
        '--as',
        'nightshift-lab:prometheus',
      ]).then(
        (out) => out.trim(),
        (err: { stdout?: string }) => String(err.stdout ?? '').trim(),
      );
    expect(await can('watch', 'pods')).toBe('yes');
    expect(await can('get', 'secrets')).toBe('no');
    expect(await can('delete', 'pods')).toBe('no');
  });

  test('a drop into the cart pods fires the rule, Alertmanager posts it, and one run starts; repeats start none', async () => {
    const t0 = new Date();
    faultId = `alert-chain-${t0.getTime()}`;
    await client.workflow.start('faultWorkflow', {
      taskQueue: lab.config.temporal.taskQueue,
      workflowId: faultId,
      args: [
        {
          spec: cartDrop('5m'),
          limits: faultLimits(lab.config.faults),
          requestedBy: { id: 'jest', via: 'test' },
        },
      ],
    });
    const hops: string[] = [];
    const chain = await followChain({ since: t0, deliveries, client, onHop: (hop) => hops.push(hop) });
    console.log(
      `alert chain: ${(['pending', 'firing', 'webhook', 'runStarted'] as const)
        .map((h) => `${h} +${(((chain[h]?.getTime() ?? 0) - t0.getTime()) / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
    expect(hops).toEqual(['pending', 'firing', 'webhook', 'runStarted']);
    // The rule held its `for` (15 s) before it fired.
    expect(chain.firing!.getTime() - chain.pending!.getTime()).toBeGreaterThanOrEqual(14_000);

    // The run is named by the alert's own fingerprint and firing time, as Alertmanager holds it.
    const [held] = await managedAlerts('CheckoutErrorBudgetBurn');
    expect(held?.labels).toMatchObject({ namespace: 'production', severity: 'page', service: 'checkout-frontend' });
    expect(chain.runId).toBe(`alert-${held?.fingerprint}-${Math.floor(Date.parse(held!.startsAt) / 1000)}`);
    const described = await client.workflow.getHandle(chain.runId).describe();
    expect(described.memo).toMatchObject({ runbook: 'traffic-vanish', requestedBy: 'alertmanager' });

    // Every delivery carried the token: the gateway pod refused none. Alertmanager repeats (repeat_interval 30 s).
    await until('a repeated notification', 60_000, async () =>
      (await deliveries.counts()).sent >= 2 ? true : undefined,
    );
    expect((await deliveries.counts()).failed).toBe(0);
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH "alert-${held?.fingerprint}"` }))
      runs.push(w.workflowId);
    expect(runs).toEqual([chain.runId]);

    // Checkout recovers: the resolved notification reaches the run, which still waits for its decision.
    await client.workflow.getHandle(faultId).signal(faultAbortSignal, { reason: 'recovered' });
    const resolved = await until('the resolved notification', 150_000, async () => {
      const s = await client.workflow.getHandle(chain.runId).query(statusQuery);
      return s.alerts.some((a) => a.status === 'resolved') ? s : undefined;
    });
    expect(await ruleAlerts('CheckoutErrorBudgetBurn')).toEqual([]);
    expect(resolved.state).toBe('waiting');
    expect(resolved.pendingDecision).toBeDefined();
    await client.workflow
      .getHandle(chain.runId)
      .signal(abortSignal, { reason: 'test over' })
      .catch(() => undefined);
  });
});
