// Every way a fault ends runs the same revert: cancelling the workflow, a
// stop condition whose probe fails, the duration. A dry run plans and
// attaches nothing. A Kubernetes target resolves through the API (a stand-in
// lister here; the lab's API server once it exists) to pods, their nodes,
// and, by route lookup on the node, the pods' host-side interfaces.
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodLister } from '../../activities/faults/index.ts';
import { PIN_ROOT } from '../../bpf/index.ts';
import { faultStatusQuery } from '../../workflows/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

function pod(name: string, node: string, ip: string, netns: string): V1Pod {
  return {
    metadata: { name, namespace: 'production', annotations: { 'nightshift.dev/netns': netns } },
    spec: { nodeName: node, containers: [] },
    status: { phase: 'Running', podIP: ip },
  };
}

describe('fault lifecycle', () => {
  let topology: Topology;
  let traffic: Traffic;
  let harness: Harness;
  let node: string;
  let probeCalls = 0;
  const pods: V1Pod[] = [];
  const ids: string[] = [];
  const lister: PodLister = { listPods: async () => pods };

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    node = nodeName();
    harness = await startHarness({
      // The server namespace plays the node; the client namespace plays a pod on it.
      agents: [{ node, nodeNetns: topology.server }],
      pods: lister,
      probes: {
        // The activity behind the catalogue's checkout-probe, failing from its third call.
        async checkoutProbe() {
          probeCalls += 1;
          if (probeCalls > 2) throw new Error('checkout success rate 40% < 95%');
          return { ok: true };
        },
      },
    });
  });

  afterEach(async () => {
    expect(await leftovers(topology, ids)).toEqual(CLEAN);
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  const dropPort = {
    target: { node: '', interface: IFACE },
    kind: 'drop' as const,
    match: { direction: 'ingress' as const, protocol: 'tcp' as const, dstPorts: 8080 },
    magnitude: { percent: 100 },
    duration: '2m',
    verdictAfter: '500ms',
  };

  test('cancelling the workflow during the hold ends in the revert', async () => {
    const id = faultId('cancel');
    ids.push(id);
    const handle = await harness.start({ ...dropPort, target: { node, interface: IFACE } }, { id });
    await until(
      () => handle.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const status = await handle.query(faultStatusQuery);
    expect(status.state).toBe('cancelled');
    expect(status.reverts[0]?.found).toBe(true);
  });

  test('a stop condition whose probe fails ends the fault early, through the same revert', async () => {
    const id = faultId('stop');
    ids.push(id);
    const handle = await harness.start(
      { ...dropPort, target: { node, interface: IFACE }, stopWhen: [{ probe: 'checkout-probe', every: '1s' }] },
      { id },
    );
    const result = await handle.result();
    // Early: it ended on the probe, before the deadline it would otherwise have held to.
    expect(Date.parse(result.end?.at ?? '')).toBeLessThan(Date.parse(result.deadline ?? ''));
    expect(result.state).toBe('stopped');
    expect(result.end).toMatchObject({
      reason: 'stop-condition',
      detail: expect.stringMatching(/checkout-probe failed: checkout success rate/),
    });
    expect(result.reverts[0]?.found).toBe(true);
  });

  test('a dry run resolves and plans exactly what would be attached where, and attaches nothing', async () => {
    const id = faultId('dry');
    ids.push(id);
    const result = await (
      await harness.start({ ...dropPort, target: { node, interface: IFACE } }, { id, dryRun: true })
    ).result();
    expect(result.state).toBe('dry-run');
    expect(result.undo).toEqual([
      expect.objectContaining({
        node,
        netns: topology.server,
        interface: IFACE,
        hook: 'ingress',
        pin: `${PIN_ROOT}/${id}/t0`,
      }),
    ]);
    expect(result.injected).toEqual([]);
    expect(result.reverts).toEqual([]);
  });

  test('a Kubernetes target: pods by selector, their node, their host-side interface by route lookup', async () => {
    pods.splice(0, pods.length, pod('checkout-frontend-0', node, ADDR.client, topology.client));
    const id = faultId('kube');
    ids.push(id);
    const handle = await harness.start(
      {
        target: { namespace: 'production', selector: { app: 'checkout-frontend' } },
        kind: 'drop',
        match: { direction: 'egress', protocol: 'tcp', dstPorts: 8080 },
        magnitude: { percent: 100 },
        duration: '2m',
        verdictAfter: '500ms',
      },
      { id },
    );
    const status = await until(
      () => handle.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    // The pod's egress is the host-side peer's ingress, in the node's namespace.
    expect(status.undo[0]).toMatchObject({
      node,
      netns: topology.server,
      interface: IFACE,
      hook: 'ingress',
      peerIsDst: true,
    });
    expect(status.undo[0]?.pod).toMatchObject({ name: 'checkout-frontend-0', ip: ADDR.client });
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);
    expect((await traffic.tcp(ADDR.server, 8081)).ok).toBe(true);
    await handle.cancel();
    await handle.result().catch(() => undefined);
  });

  test('a selector that matches a hostNetwork pod is refused before anything is attached', async () => {
    const onHost = pod('node-exporter-0', node, ADDR.server, topology.server);
    pods.splice(0, pods.length, { ...onHost, spec: { ...onHost.spec, containers: [], hostNetwork: true } });
    const id = faultId('hostnet');
    ids.push(id);
    const handle = await harness.start({ ...dropPort, target: { namespace: 'production', selector: 'app=x' } }, { id });
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      /node-exporter-0 uses the host's network \(hostNetwork\)/,
    );
    expect(await handle.query(faultStatusQuery)).toMatchObject({ state: 'refused', injected: [] });
  });

  test('a selector matching more pods than allowed is refused before anything is attached', async () => {
    pods.splice(0, pods.length, ...[0, 1, 2].map((i) => pod(`cart-${i}`, node, ADDR.client, topology.client)));
    const id = faultId('many');
    ids.push(id);
    const handle = await harness.start(
      { ...dropPort, target: { namespace: 'production', selector: 'app=cart' } },
      { id, limits: { maxDurationMs: 600_000, allowedNamespaces: ['production'], maxPods: 2 } },
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/matches 3 pods, more than the limit of 2/);
    expect((await handle.query(faultStatusQuery)).state).toBe('refused');
  });
});
