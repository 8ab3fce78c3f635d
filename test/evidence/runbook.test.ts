// The traffic-vanish runbook on the real Temporal dev server with the real
// collectors: a real etcd, a real CoreDNS, the Hubble stand-in's gRPC server
// (fed with flows), a probe server; no Kubernetes (those collectors answer
// with findings). The run always completes, even with a hung dependency.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createEtcdClient } from '../../activities/collectors/etcd/index.ts';
import { createHubbleClient } from '../../activities/hubble/index.ts';
import { createActivities, renderRun } from '../../activities/index.ts';
import { FlowStore, startObserverServer, toFlows, delta, type ObserverServer } from '../../lab/hubble/index.ts';
import { defaultCatalogue, formatProblem, resolveParams } from '../../runbooks/index.ts';
import { validateRunbookText } from '../../runbooks/loader.ts';
import type { runbookWorkflow } from '../../workflows/index.ts';
import type { RunStatus } from '../../model/index.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { corednsAvailable, startCoredns, type TestCoredns } from './helpers/coredns.ts';
import { etcdAvailable, startEtcdCluster, type EtcdTestCluster } from './helpers/etcd-cluster.ts';
import { startBlackhole, startProbeServer, type Running } from './helpers/servers.ts';
import { podEndpoints, shopPod, tapRecord } from './helpers/tap.ts';

const runbook = (() => {
  const result = validateRunbookText(
    readFileSync(new URL('../../runbooks/traffic-vanish.yaml', import.meta.url), 'utf8'),
    { catalogue: defaultCatalogue },
  );
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  return result.runbook;
})();

const endpoints = podEndpoints(
  new Map([
    ['10.244.1.10', shopPod('checkout-frontend')],
    ['10.244.2.20', shopPod('cart-service-v1')],
  ]),
);

const ready = etcdAvailable() && corednsAvailable();
const run = ready ? describe : describe.skip;
if (!ready) console.warn('SKIPPED traffic-vanish runbook test: needs .tools/bin/etcd and coredns');

run('traffic-vanish on Temporal with real collectors', () => {
  let env: TestWorkflowEnvironment;
  let etcd: EtcdTestCluster;
  let dns: TestCoredns;
  let hubble: ObserverServer;
  let blackhole: Running;
  const probes: Running[] = [];
  const store = new FlowStore();
  const workers: { worker: Worker; running: Promise<void> }[] = [];

  beforeAll(async () => {
    env = await testEnv();
    [etcd, dns, hubble, blackhole] = await Promise.all([
      startEtcdCluster(1),
      startCoredns(),
      startObserverServer(store, '127.0.0.1:0'),
      startBlackhole(),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) {
      w.worker.shutdown();
      await w.running;
    }
    await Promise.all([etcd?.stop(), dns?.stop(), hubble?.stop(), blackhole?.stop(), ...probes.map((p) => p.stop())]);
    await env?.teardown();
  });

  /** The runbook with every evidence client, or only those `only` names (the rest missing, as on a new install). */
  async function runTrafficVanish(
    probeSuccess: number,
    relay: string,
    only?: ('probe' | 'flows')[],
  ): Promise<RunStatus> {
    const probe = await startProbeServer(() => probeSuccess);
    probes.push(probe);
    const taskQueue = uniqueQueue('traffic-vanish');
    const all = {
      hubble: createHubbleClient(relay),
      etcd: { client: createEtcdClient(), endpoints: etcd.endpoints },
      dns: { servers: [dns.server], metrics: [dns.metricsUrl] },
      probeUrl: probe.url,
    };
    const evidence = only ? { ...(only.includes('probe') ? { probeUrl: probe.url } : {}) } : all;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ evidence }),
    });
    workers.push({ worker, running: worker.run() });
    const params = resolveParams(runbook.parameters, { namespace: 'production', dnsNames: 'cart.shop.test' });
    if (!params.ok) throw new Error(params.problems.join('; '));
    const handle = await env.client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
      taskQueue,
      workflowId: `traffic-vanish-${Math.random().toString(16).slice(2)}`,
      args: [
        {
          runbook,
          params: params.params,
          requestedBy: { id: 'U-test', name: 'test', via: 'cli' },
          productionNamespaces: ['production'],
        },
      ],
    });
    return handle.result();
  }

  test('healthy evidence and a hung Hubble Relay: no-fault-found, the relay a finding, the run completes', async () => {
    const status = await runTrafficVanish(1, blackhole.url);
    expect(status.state).toBe('completed');
    const top = status.diagnosis?.hypotheses[0];
    expect(top).toEqual(
      expect.objectContaining({
        id: 'no-fault-found',
        title: expect.any(String),
        confidence: expect.any(Number),
        evidence: expect.any(Array),
        remediations: [],
      }),
    );
    const gather = status.steps.find((s) => s.id === 'gather')?.result as {
      collectors: Record<string, { ok: boolean; durationMs: number; findings: { kind: string; summary: string }[] }>;
    };
    expect(gather.collectors.flows?.findings[0]?.kind).toBe('flows.unavailable');
    expect(gather.collectors.etcd?.ok).toBe(true);
    expect(gather.collectors.dns?.ok).toBe(true);
    expect(gather.collectors.kubernetes?.findings[0]?.kind).toBe('kubernetes.unavailable');
    expect(status.decisions[0]).toEqual(expect.objectContaining({ option: 'deny', auto: true }));
  });

  test('connections that get no SYN-ACK and a failing probe: pod-to-pod-drop with its evidence', async () => {
    // Ten connections from the frontend whose SYNs (each sent twice) left its pod over the last seconds and were
    // never answered (older than the summary's grace for answers).
    const at = new Date(Date.now() - 5000);
    for (let i = 0; i < 10; i++) {
      const syns = tapRecord({ sport: 41000 + i, tx: 2, syn: 2 });
      store.push(toFlows(delta(syns, undefined), { endpoints, at }), at.getTime());
    }
    const status = await runTrafficVanish(0.2, hubble.address);
    expect(status.state).toBe('completed');
    const top = status.diagnosis?.hypotheses[0];
    expect(top?.id).toBe('pod-to-pod-drop');
    expect(top?.confidence).toBeGreaterThanOrEqual(0.7);
    expect(top?.evidence).toContain(
      'gather.flows#unanswered:production/checkout-frontend>production/cart-service-v1:tcp/80',
    );
    expect(top?.explanation).toContain(
      '10 of 10 connection(s) production/checkout-frontend → production/cart-service-v1 TCP/80 got no answer',
    );
  });

  test('no evidence source at all: the diagnosis cannot tell, says what gave nothing, and offers nothing to change', async () => {
    const status = await runTrafficVanish(1, blackhole.url, []);
    expect(status.state).toBe('completed');
    expect(status.diagnosis).toEqual(
      expect.objectContaining({
        outcome: 'cannot-tell',
        hypotheses: [],
        headline: expect.stringMatching(
          /^Cannot tell: the symptom could not be seen \(no evidence from probe, flows, dns, etcd, kubernetes, node-network/,
        ),
      }),
    );
    expect(status.decisions).toEqual([
      expect.objectContaining({
        step: 'choose',
        option: 'deny',
        auto: true,
        by: expect.objectContaining({ name: 'nothing to decide' }),
      }),
    ]);
    const kubernetes = (
      status.steps.find((s) => s.id === 'gather')?.result as {
        collectors: Record<string, { findings: { summary: string }[] }>;
      }
    ).collectors.kubernetes;
    expect(kubernetes?.findings[0]?.summary).toMatch(/no Kubernetes access configured/);
    // The thread's parent message says it plainly.
    const thread = renderRun(status.runbook, status, new Date());
    expect(JSON.stringify(thread.parent.blocks)).toContain('*Diagnosis:* Cannot tell: the symptom could not be seen');
    expect(thread.replies.find((r) => r.key.endsWith('#diagnosis'))?.text).toMatch(/^Diagnosis: Cannot tell/);
  });

  test('only a healthy symptom: no-fault-found, citing the symptom', async () => {
    const status = await runTrafficVanish(1, blackhole.url, ['probe']);
    expect(status.diagnosis?.outcome).toBe('ranked');
    expect(status.diagnosis?.hypotheses.map((h) => h.id)).toEqual(['no-fault-found']);
    expect(status.diagnosis?.hypotheses[0]?.evidence).toEqual(expect.arrayContaining(['gather.probe#probe.healthy']));
    expect(status.diagnosis?.hypotheses[0]?.explanation).toMatch(/no evidence from flows, dns, etcd, kubernetes/);
  });
});
