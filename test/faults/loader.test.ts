// The node agent's activities on the real kernel, without Temporal: inject
// is idempotent, revert of an unknown fault succeeds and says so, list and
// stopAll see every nightshift attachment, the legacy tc path uses its
// reserved prio band and restores the qdiscs it found, and capabilities
// name what the kernel lacks.
import { z } from 'zod';
import { createNodeAgentActivities, planAttachment, reconcile } from '../../activities/faults/index.ts';
import type { InjectRequest } from '../../model/index.ts';
import { nsfault, run, runJson, TC_HANDLE_PREFIX, TC_PRIO_BASE } from '../../bpf/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { faultId, nodeName } from './helpers/workers.ts';

const filterSchema = z.object({
  pref: z.number().optional(),
  options: z.object({ handle: z.string().optional() }).optional(),
});

describe('node agent activities', () => {
  let topology: Topology;
  let agent: ReturnType<typeof createNodeAgentActivities>;
  let node: string;
  const ids: string[] = [];

  const request = (id: string, extra: Partial<InjectRequest> = {}): InjectRequest => ({
    faultId: id,
    key: 't0',
    target: { node, interface: IFACE },
    kind: 'drop',
    match: { direction: 'egress', protocol: 'udp', dstPorts: { from: 53, to: 53 }, peers: ['10.0.0.0/8'] },
    magnitude: { dropPpm: 500_000 },
    deadline: new Date(Date.now() + 60_000).toISOString(),
    ...extra,
  });

  beforeAll(async () => {
    topology = await createTopology();
    node = nodeName();
    agent = createNodeAgentActivities({ node, nodeNetns: topology.client });
  });

  afterEach(async () => {
    expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    await topology?.destroy();
  });

  test('inject with an existing fault id is a no-op that returns the current state', async () => {
    const id = faultId('idem');
    ids.push(id);
    const first = await agent.inject(request(id));
    const again = await agent.inject(request(id, { magnitude: { dropPpm: 1_000_000 } }));
    expect(first.alreadyActive).toBe(false);
    expect(again.alreadyActive).toBe(true);
    expect(again.state?.pin).toBe(first.state?.pin);
    const progs = await nsfault.query(IFACE, { netns: topology.client });
    expect(progs.egress.filter((p) => p.name === 'nightshift')).toHaveLength(1);
    expect((await agent.list()).filter((a) => a.faultId === id)).toEqual([
      expect.objectContaining({ faultId: id, interface: IFACE, hook: 'egress', mode: 'tcx' }),
    ]);
    expect((await agent.revert({ faultId: id })).found).toBe(true);
  });

  test('revert of an unknown fault id succeeds and says so', async () => {
    const result = await agent.revert({ faultId: faultId('never') });
    expect(result).toMatchObject({
      found: false,
      attachments: [],
      message: expect.stringMatching(/nothing to revert/),
    });
  });

  test('stopAll reverts every fault on the node', async () => {
    const a = faultId('all');
    const b = faultId('all');
    ids.push(a, b);
    await agent.inject(request(a));
    await agent.inject(request(b, { match: { direction: 'ingress', protocol: 'tcp', peers: [] } }));
    const mine = (await agent.list()).filter((x) => x.faultId === a || x.faultId === b);
    expect(mine).toHaveLength(2);
    const stopped = await agent.stopAll();
    expect(stopped.reverted.filter((r) => r.faultId === a || r.faultId === b).every((r) => r.found)).toBe(true);
  });

  test('legacy tc filters take a reserved prio and handle, and the clsact they added goes again', async () => {
    const legacy = createNodeAgentActivities({ node, nodeNetns: topology.client, attachMode: 'tc' });
    const id = faultId('legacy');
    ids.push(id);
    const injected = await legacy.inject(request(id));
    expect(injected.plan.mode).toBe('tc');
    const filters = await runJson(filterSchema, 'tc', ['-j', 'filter', 'show', 'dev', IFACE, 'egress'], {
      netns: topology.client,
    });
    const ours = filters.find((f) => f.options?.handle);
    expect(ours?.pref).toBeGreaterThanOrEqual(TC_PRIO_BASE);
    expect(ours?.pref).toBeLessThanOrEqual(TC_PRIO_BASE + 0xff);
    expect(Number(ours?.options?.handle) >>> 16).toBe(TC_HANDLE_PREFIX >>> 16);
    expect((await legacy.revert({ faultId: id })).attachments[0]?.state).toBe('detached');
  });

  test('legacy tc: a clsact that was there before stays, with nothing of ours on it', async () => {
    await run('tc', ['qdisc', 'add', 'dev', IFACE, 'clsact'], { netns: topology.client });
    const legacy = createNodeAgentActivities({ node, nodeNetns: topology.client, attachMode: 'tc' });
    const id = faultId('legacy');
    ids.push(id);
    try {
      await legacy.inject(request(id));
      await legacy.revert({ faultId: id });
      const left = await leftovers(topology, ids);
      expect(left.qdiscs).toEqual([`${topology.client}/${IFACE}: clsact ffff:`]);
      expect(left.filters).toEqual([]);
    } finally {
      await run('tc', ['qdisc', 'del', 'dev', IFACE, 'clsact'], { netns: topology.client });
    }
  });

  test('the reconciler removes a live attachment whose fault no longer runs, and keeps it when it cannot ask', async () => {
    const id = faultId('orphan');
    ids.push(id);
    await agent.inject(request(id));
    const unsure = await reconcile({ node, faultActive: async (f) => (f === id ? undefined : true) });
    expect(unsure.unknown).toContain(id);
    expect((await agent.list()).some((a) => a.faultId === id)).toBe(true);
    const report = await reconcile({ node, faultActive: async (f) => f !== id });
    expect(report.removed).toEqual([
      expect.objectContaining({ faultId: id, key: 't0', reason: 'fault not running', state: 'detached' }),
    ]);
  });

  test('capabilities name what the kernel lacks', async () => {
    const caps = await agent.capabilities();
    expect(caps).toMatchObject({ node, btf: true, bpffs: true, tcx: true, clsact: true, attachMode: 'tcx' });
    if (!caps.fq) expect(caps.problems.join('\n')).toMatch(/sch_fq/);
  });

  test('a delay is planned on egress only: a departure time stamped at tc ingress delays nothing', async () => {
    const plan = planAttachment(
      request(faultId('plan'), {
        kind: 'delay',
        magnitude: { delayMs: 50 },
        match: { direction: 'ingress', protocol: 'any', peers: [] },
      }),
      { node, nodeNetns: topology.client, attachMode: 'tcx', maxTtlMs: 60_000, protectedPeers: [] },
    );
    await expect(plan).rejects.toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/match\.direction: a delay needs an egress hook/),
    });
  });

  test('an interface that does not exist is NotFound, and nothing is attached', async () => {
    const id = faultId('nodev');
    ids.push(id);
    await expect(agent.inject(request(id, { target: { node, interface: 'nope0' } }))).rejects.toMatchObject({
      type: 'NotFound',
    });
  });
});
