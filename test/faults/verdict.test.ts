// Proof the fault took effect: after injecting, the workflow reads the
// counters and says "confirmed" (with them) or "no matching traffic seen".
import { faultAbortSignal, faultStatusQuery } from '../../workflows/fault/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

describe('fault verdicts', () => {
  let topology: Topology;
  let traffic: Traffic;
  let harness: Harness;
  let node: string;
  const ids: string[] = [];

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    node = nodeName();
    harness = await startHarness({ agents: [{ node, nodeNetns: topology.server }] });
  });

  afterEach(async () => {
    expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  test('a fault on live traffic is confirmed, with the counters that prove it', async () => {
    const id = faultId('live');
    ids.push(id);
    await traffic.ping(ADDR.server, 9053, 20);
    try {
      const handle = await harness.start(
        {
          target: { node, interface: IFACE },
          kind: 'drop',
          match: { direction: 'ingress', protocol: 'udp', dstPorts: 9053 },
          magnitude: { percent: 100 },
          duration: '1m',
          verdictAfter: '1s',
        },
        { id },
      );
      const status = await until(() => handle.query(faultStatusQuery), (s) => s.verdict !== undefined, 'a verdict');
      expect(status.verdict?.outcome).toBe('confirmed');
      expect(status.verdict?.counters.dropped).toBeGreaterThan(10);
      expect(status.verdict?.counters.matched).toBe(status.verdict?.counters.dropped);
      await handle.signal(faultAbortSignal, { reason: 'seen enough' });
      const result = await handle.result();
      expect(result.verdict?.outcome).toBe('confirmed');
      expect(result.counters.dropped).toBeGreaterThanOrEqual(status.verdict?.counters.dropped ?? 0);
    } finally {
      await traffic.stopPing();
    }
  });

  test('a fault on a port nobody uses reports "no matching traffic seen"', async () => {
    const id = faultId('idle');
    ids.push(id);
    const handle = await harness.start(
      {
        target: { node, interface: IFACE },
        kind: 'drop',
        match: { direction: 'ingress', protocol: 'tcp', dstPorts: 5555 },
        magnitude: { percent: 100 },
        duration: '3s',
        verdictAfter: '1s',
      },
      { id },
    );
    const result = await handle.result();
    expect(result.state).toBe('completed');
    expect(result.end?.reason).toBe('duration');
    expect(result.verdict?.outcome).toBe('no matching traffic seen');
    expect(result.counters).toMatchObject({ matched: 0, dropped: 0 });
  });
});
