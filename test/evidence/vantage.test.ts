// Vantage points on the node agents, on real things: network namespaces made
// the way a container runtime and the lab make them, a real CoreDNS, real
// agent workers on the Temporal dev server, the fan-out workflow, and the
// DNS and node-network collectors against a real kube-apiserver. Needs root.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDnsCollector } from '../../activities/collectors/dns/index.ts';
import { PICKUP_MS } from '../../activities/collectors/agents.ts';
import { temporalFanout, type AgentFanout } from '../../activities/collectors/index.ts';
import { createNodeNetworkCollector } from '../../activities/collectors/nodes/index.ts';
import { createAgentActivities } from '../../activities/index.ts';
import { Measurers, NetnsLocator, runLookups } from '../../activities/vantage/index.ts';
import { nodeQueue, type PodDnsRequest, type PodDnsResult, type StepCall, type VantageJob } from '../../model/index.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { apiserverAvailable, startApiserver, type TestApiserver } from './helpers/apiserver.ts';
import { corednsAvailable } from './helpers/coredns.ts';
import { bedLeftovers, startVantageBed, type VantageBed } from './helpers/vantage-bed.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const root = process.getuid?.() === 0;
const run = root && corednsAvailable() ? describe : describe.skip;
if (!root || !corednsAvailable()) console.warn('SKIPPED vantage tests: need root and .tools/bin/coredns');

const tag = Math.random().toString(16).slice(2, 8);
/** Nodes: "a" hosts pod a (agent in the host's namespace), "b" hosts pod b (agent in the dns namespace). */
const NODE = { a: `tv-a-${tag}`, b: `tv-b-${tag}`, none: `tv-none-${tag}`, gone: `tv-gone-${tag}` };

run('vantage points on the node agents', () => {
  let bed: VantageBed;
  let env: TestWorkflowEnvironment;
  let fanout: AgentFanout;
  const measurers = new Measurers();
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const launch = async (options: Parameters<typeof Worker.create>[0]) => {
    const worker = await Worker.create(options);
    const entry = { worker, running: worker.run() };
    workers.push(entry);
    return entry;
  };

  beforeAll(async () => {
    bed = await startVantageBed();
    env = await testEnv();
    const taskQueue = uniqueQueue('vantage');
    // The control worker: only the fan-out workflow is needed here.
    await launch({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {},
    });
    await launch({
      connection: env.nativeConnection,
      taskQueue: nodeQueue(NODE.a),
      activities: createAgentActivities({ node: NODE.a, measurers }),
    });
    await launch({
      connection: env.nativeConnection,
      taskQueue: nodeQueue(NODE.b),
      activities: createAgentActivities({ node: NODE.b, nodeNetns: bed.dnsNetns, measurers }),
    });
    fanout = temporalFanout({ client: env.client, taskQueue });
    // Until both agents poll and the workflow code is loaded, a job may find nobody: wait for that first.
    for (let i = 0; ; i++) {
      const job = (node: string): VantageJob => ({
        node,
        activity: 'connectFromNode',
        request: { targets: [], attempts: 1, timeoutMs: 100, intervalMs: 0, endBy: soon() },
      });
      const warm = await fanout.run([job(NODE.a), job(NODE.b)], soon());
      if (warm.every((o) => o.ok)) break;
      if (i === 20) throw new Error(`the agents never answered: ${JSON.stringify(warm)}`);
    }
  });

  afterAll(async () => {
    for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(workers.map((w) => w.running.catch(() => undefined)));
    await env?.teardown();
    await measurers.close();
    await bed?.stop();
    // This bed's own: a bed of another run (killed, or beside this one) is not this one's to judge.
    expect(bedLeftovers(bed?.prefix)).toEqual([]);
  });

  const pod = (which: 'a' | 'b', node = NODE[which]) => ({
    namespace: 'shop',
    name: `pod-${which}`,
    ip: bed[which].ip,
    node,
  });
  // Generous ends: the machine is shared, and healthy measurements return long before them.
  const soon = (ms = 20_000) => Date.now() + ms;
  const dnsJob = (which: 'a' | 'b', names: string[], over: Partial<PodDnsRequest> = {}): VantageJob => ({
    node: NODE[which],
    activity: 'dnsFromPod',
    request: { pod: pod(which), names, lookups: 4, concurrency: 2, lossAfterMs: 500, endBy: soon(), ...over },
  });

  test('the agent finds a namespace only /proc shows, one bound under /run/netns, and re-checks what it cached', async () => {
    const locator = new NetnsLocator();
    const a = await locator.locate(bed.a.ip);
    expect(a.found).toMatchObject({ how: 'proc-scan', path: `/proc/${bed.a.pid}/ns/net` });
    // The pod's own process (another mount namespace than ours) comes first: its resolv.conf is the pod's.
    expect(a.pids[0]).toBe(bed.a.pid);
    const b = await locator.locate(bed.b.ip);
    expect(b.found).toMatchObject({ how: 'run-netns', path: `/run/netns/${bed.b.netns}` });
    expect((await locator.locate(bed.b.ip)).found.how).toBe('cached');
    // The pod is made again (a new sandbox: another namespace, the same IP). What was cached is gone.
    await bed.remakeB();
    const again = await locator.locate(bed.b.ip);
    expect(again.found).toMatchObject({ how: 'run-netns', path: `/run/netns/${bed.b.netns}` });
    expect(bed.b.netns).not.toBe(b.found.path.split('/').pop());
    expect(again.pids).toEqual([bed.b.pid]);
    await expect(locator.locate(`${bed.subnet}.99`, 'pod shop/ghost')).rejects.toThrow(
      /no network namespace on this node holds pod shop\/ghost \(10\.\d+\.\d+\.99\)/,
    );
  });

  test("DNS from inside a pod as the pod resolves: the pod's own resolv.conf and search path, by its node's agent", async () => {
    const [outcome] = await fanout.run([dnsJob('a', ['cart'])], soon());
    expect(outcome?.ok).toBe(true);
    const result = (outcome?.ok ? outcome.result : undefined) as PodDnsResult;
    expect(result).toMatchObject({ kind: 'dns', node: NODE.a, pod: 'shop/pod-a' });
    expect(result.netns.how).toBe('proc-scan');
    expect(result.resolver).toMatchObject({
      source: `/proc/${bed.a.pid}/root/etc/resolv.conf`,
      nameservers: [bed.dnsIp],
      search: ['nope.shop.test', 'shop.test'],
      ndots: 2,
      timeoutSeconds: 1,
    });
    const [run0] = result.runs;
    expect(run0?.server).toBe(bed.dnsIp);
    expect(run0?.samples).toHaveLength(4);
    for (const s of run0?.samples ?? []) {
      // cart.nope.shop.test is NXDOMAIN, then cart.shop.test answers: the search path was walked.
      expect(s).toMatchObject({ outcome: 'NOERROR', answeredAs: 'cart.shop.test', queries: 4, lost: 0 });
    }
    // The host itself has no such search path, and the pod's nameserver sits behind the dns namespace.
    const fromHost = await runLookups({
      resolver: { ...result.resolver, search: [], nameservers: [bed.dnsIp] },
      names: ['cart'],
      lookups: 1,
      concurrency: 1,
      lossAfterMs: 300,
      endBy: soon(1500),
    });
    expect(fromHost[0]?.outcome).not.toBe('NOERROR');
  });

  test('a lossy DNS shows the stalls the pod sees (timeout:1 from its resolv.conf), from the lab-style pod', async () => {
    const [outcome] = await fanout.run([dnsJob('b', ['a.lossy.test.'], { lookups: 2, concurrency: 1 })], soon());
    const result = (outcome?.ok ? outcome.result : undefined) as PodDnsResult;
    expect(result?.netns.how).toBe('run-netns');
    expect(result?.resolver.source).toBe(`/proc/${bed.b.pid}/root/etc/resolv.conf`);
    const samples = result?.runs[0]?.samples ?? [];
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.lost).toBeGreaterThanOrEqual(1);
      // A lookup that got its answer did so only after waiting out the 1 s attempt.
      if (s.outcome === 'NOERROR') expect(s.ms).toBeGreaterThanOrEqual(1000);
    }
  });

  test('TCP connects from inside a pod, and from the node’s own namespace', async () => {
    const coredns = { name: 'coredns', host: bed.dnsIp, port: 53 };
    const targets = [
      { name: 'inside', host: '127.0.0.1', port: 7070 },
      coredns,
      { name: 'closed', host: bed.dnsIp, port: 9 },
    ];
    const plan = { targets, attempts: 2, timeoutMs: 500, intervalMs: 0, endBy: soon() };
    const [fromPod, fromNode] = await fanout.run(
      [
        { node: NODE.a, activity: 'connectFromPod', request: { ...plan, pod: pod('a') } },
        {
          node: NODE.b,
          activity: 'connectFromNode',
          request: { ...plan, targets: [{ name: 'node a', host: bed.hostIp, port: 9 }, coredns] },
        },
      ],
      soon(),
    );
    const outcomes = (o: typeof fromPod) =>
      o?.ok && o.result.kind === 'connect'
        ? Object.fromEntries(o.result.samples.map((s) => [s.target, s.outcome]))
        : { error: o?.ok === false ? o.error : '?' };
    // 127.0.0.1:7070 listens only inside pod a.
    expect(outcomes(fromPod)).toEqual({ inside: 'connected', coredns: 'connected', closed: 'refused' });
    expect(outcomes(fromNode)).toEqual({ 'node a': 'refused', coredns: 'connected' });
  });

  test('an agent measures only from its own node; a pod that is not there is an error that says where it looked', async () => {
    const [elsewhere, ghost] = await fanout.run(
      [
        { ...dnsJob('a', ['cart'], { pod: pod('b') }), node: NODE.a },
        dnsJob('a', ['cart'], { pod: { ...pod('a'), ip: `${bed.subnet}.99` } }),
      ],
      soon(),
    );
    expect(elsewhere).toMatchObject({ ok: false, reason: 'failed' });
    expect(elsewhere?.ok === false && elsewhere.error).toMatch(
      /runs on node tv-b-.*the agent on tv-a-.* measures only/,
    );
    expect(ghost?.ok === false && ghost.error).toMatch(/no network namespace on this node holds/);
  });

  test('a node without an agent is an outcome, not a failure: never started, or stopped a moment ago', async () => {
    const gone = await launch({
      connection: env.nativeConnection,
      taskQueue: nodeQueue(NODE.gone),
      activities: createAgentActivities({ node: NODE.gone }),
    });
    gone.worker.shutdown();
    await gone.running;
    const outcomes = await fanout.run(
      [
        dnsJob('a', ['cart']),
        { ...dnsJob('a', ['cart']), node: NODE.none },
        { ...dnsJob('a', ['cart']), node: NODE.gone },
      ],
      soon(),
    );
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'no-agent', 'no-agent']);
    expect(outcomes[1]?.ok === false && outcomes[1].error).toBe(
      `nothing picked up dnsFromPod on ${nodeQueue(NODE.none)} within ${PICKUP_MS} ms`,
    );
  });

  const runApi = apiserverAvailable() ? describe : describe.skip;
  runApi('the collectors fan out to the agents of the affected pods', () => {
    let api: TestApiserver;
    const call = (params: StepCall['params']): StepCall => ({
      params,
      context: { workflowId: 'test', runbook: 'test', stepId: 'gather', key: 'test/gather' },
    });

    beforeAll(async () => {
      api = await startApiserver();
      const kube = api.admin;
      await kube.core.createNamespace({ body: { metadata: { name: 'shop' } } });
      const nodes: [string, string][] = [
        [NODE.a, bed.hostIp],
        [NODE.b, bed.dnsHostIp],
        [NODE.none, `${bed.hostIp.replace(/\.1$/, '.3')}`],
      ];
      for (const [name, ip] of nodes) {
        await kube.core.createNode({ body: { metadata: { name } } });
        await kube.core.patchNodeStatus(
          { name, body: { status: { addresses: [{ type: 'InternalIP', address: ip }] } } },
          merge,
        );
      }
      const pods: [string, string, string, string][] = [
        ['frontend-1', 'frontend', NODE.a, bed.a.ip],
        ['cart-1', 'cart', NODE.b, bed.b.ip],
        ['payment-1', 'payment', NODE.none, `${bed.subnet}.4`],
      ];
      for (const [name, app, node, ip] of pods) {
        await kube.core.createNamespacedPod({
          namespace: 'shop',
          body: {
            metadata: { name, labels: { app } },
            spec: { nodeName: node, containers: [{ name: app, image: app }] },
          },
        });
        await kube.core.patchNamespacedPodStatus(
          {
            namespace: 'shop',
            name,
            body: { status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] } },
          },
          merge,
        );
      }
    });
    afterAll(async () => {
      await api?.stop();
    });

    test('dns: each pod measured by its own node’s agent; the node without one is a finding, and the run goes on', async () => {
      const collector = createDnsCollector({ kube: api.admin, agents: fanout });
      const result = await collector(
        call({ namespace: 'shop', names: 'cart', samples: 6, concurrency: 3, corednsMetrics: [] }),
      );
      expect(result.ok).toBe(true);
      const targets = result.evidence?.targets ?? [];
      // One pod per workload, in the order podVantages gives (ready first, then by name).
      expect(targets.map((t) => [t.from, t.node, t.server, t.samples, t.answered])).toEqual([
        ['pod shop/cart-1', NODE.b, bed.dnsIp, 6, 6],
        ['pod shop/frontend-1', NODE.a, bed.dnsIp, 6, 6],
      ]);
      for (const t of targets) expect(t.resolver).toMatchObject({ ndots: 2, search: ['nope.shop.test', 'shop.test'] });
      const absent = `nothing picked up dnsFromPod on ${nodeQueue(NODE.none)} within ${PICKUP_MS} ms`;
      expect(result.evidence?.unmeasured).toEqual([{ from: 'pod shop/payment-1', node: NODE.none, reason: absent }]);
      const noAgent = result.findings.find((f) => f.kind === 'dns.no-agent');
      expect(noAgent?.summary).toBe(`no agent on ${NODE.none}: DNS not measured from pod shop/payment-1 (${absent})`);
      expect(result.findings.map((f) => f.kind)).toContain('dns.healthy');
    });

    test('node-network: each node connects from its own namespace; the node without an agent is a finding', async () => {
      const collector = createNodeNetworkCollector(api.admin, fanout);
      const result = await collector(call({ namespace: 'shop', attempts: 3, timeout: '300ms', interval: '0ms' }));
      expect(result.ok).toBe(true);
      const pairs = Object.fromEntries((result.evidence?.pairs ?? []).map((p) => [`${p.from}>${p.to}`, p.lossRatio]));
      // a and b answer each other (refused on 10250 is an answer); nothing answers for the agentless node.
      expect(pairs[`${NODE.a}>${NODE.b}`]).toBe(0);
      expect(pairs[`${NODE.b}>${NODE.a}`]).toBe(0);
      expect(pairs[`${NODE.a}>${NODE.none}`]).toBe(1);
      expect(result.evidence?.unmeasured).toEqual([
        {
          node: NODE.none,
          reason: `nothing picked up connectFromNode on ${nodeQueue(NODE.none)} within ${PICKUP_MS} ms`,
        },
      ]);
      expect(result.findings.find((f) => f.kind === 'node-network.no-agent')?.summary).toContain(
        `no agent on ${NODE.none}: not measured from node ${NODE.none}`,
      );
    });
  });
});
