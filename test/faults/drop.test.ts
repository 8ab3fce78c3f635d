// Drops, on the real kernel in test namespaces and through the real fault
// workflow: a dropped port fails while its neighbour works, a 30 % drop loses
// 30 % of the datagrams (and the counters agree with the receiver), and
// prefixes match exactly their own /24 (IPv4) or /64 (IPv6).
import { createNodeAgentActivities } from '../../activities/faults/index.ts';
import { nsfault } from '../../bpf/index.ts';
import { faultAbortSignal, faultStatusQuery } from '../../workflows/index.ts';
import { useFaultBed } from './helpers/bed.ts';
import { ADDR, IFACE } from './helpers/netns.ts';
import { faultId, until } from './helpers/workers.ts';

describe('drop faults', () => {
  const bed = useFaultBed();

  test('100 % drop on a port: that port fails, another port on the same pod works, both work after revert', async () => {
    expect((await bed.traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    const id = faultId('drop100');
    bed.ids.push(id);
    const handle = await bed.harness.start(
      {
        target: { node: bed.node, interface: IFACE },
        kind: 'drop',
        match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
        magnitude: { percent: 100 },
        duration: '2m',
        verdictAfter: '500ms',
      },
      { id },
    );
    await until(
      () => handle.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    const blocked = await bed.traffic.tcp(ADDR.server, 8080, 1000);
    const other = await bed.traffic.tcp(ADDR.server, 8081);
    expect(blocked).toMatchObject({ ok: false, error: 'timeout' });
    expect(other.ok).toBe(true);

    await handle.signal(faultAbortSignal, { reason: 'test done' });
    const result = await handle.result();
    expect(result.state).toBe('aborted');
    expect(result.reverts[0]).toMatchObject({ found: true, node: bed.node });
    expect(result.counters.dropped).toBeGreaterThan(0);
    expect((await bed.traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect((await bed.traffic.tcp(ADDR.server, 8081)).ok).toBe(true);
  });

  test('30 % drop: over 6,000 datagrams the loss is 30 % ± 3 points and the counters agree with the receiver', async () => {
    const agent = createNodeAgentActivities({ node: bed.node, nodeNetns: bed.topology.server });
    const id = faultId('drop30');
    bed.ids.push(id);
    await agent.inject({
      faultId: id,
      key: 't0',
      target: { node: bed.node, interface: IFACE },
      kind: 'drop',
      match: { direction: 'ingress', protocol: 'udp', dstPorts: { from: 9000, to: 9000 }, peers: [] },
      magnitude: { dropPpm: 300_000 },
      deadline: new Date(Date.now() + 120_000).toISOString(),
    });
    try {
      await bed.traffic.reset();
      const { sent } = await bed.traffic.udp(ADDR.server, 9000, 6000);
      const stats = await until(
        () => bed.traffic.stats(),
        (s) => (s['9000']?.received ?? 0) > 0,
        'datagrams to arrive',
      );
      await new Promise((done) => setTimeout(done, 500)); // the last ones still in flight
      const received = (await bed.traffic.stats())['9000']?.unique ?? stats['9000']?.unique ?? 0;
      const { total } = await agent.counters({ faultId: id });
      const loss = (sent - received) / sent;
      expect(Math.abs(loss - 0.3)).toBeLessThanOrEqual(0.03);
      expect(total.matched).toBe(sent);
      expect(total.dropped).toBe(sent - received);
    } finally {
      const reverted = await agent.revert({ faultId: id });
      expect(reverted.found).toBe(true);
    }
  });

  const few = ['10.78.1.0/24', 'fd78:1::/64'];
  // More distinct prefix lengths than the exact lookups take: the trie matches instead.
  const many = [
    ...few,
    '10.60.0.0/16',
    '10.61.0.0/17',
    '10.62.0.0/18',
    '10.63.0.0/30',
    'fd60::/48',
    'fd61::/56',
    'fd62::/100',
    'fd63::/120',
  ];
  test.each([
    ['exact lookups per prefix length', few, 1],
    ['the longest-prefix-match trie', many, 2],
  ])(
    'prefix match (%s): the matched /24 and /64 are dropped, the neighbouring ones are not',
    async (_how, peers, mode) => {
      const agent = createNodeAgentActivities({ node: bed.node, nodeNetns: bed.topology.client });
      const id = faultId('prefix');
      bed.ids.push(id);
      const injected = await agent.inject({
        faultId: id,
        key: 't0',
        target: { node: bed.node, interface: IFACE },
        kind: 'drop',
        match: { direction: 'egress', protocol: 'tcp', peers },
        magnitude: { dropPpm: 1_000_000 },
        deadline: new Date(Date.now() + 120_000).toISOString(),
      });
      try {
        const shown = await nsfault.show([injected.plan.pin]);
        expect(shown.faults[0]?.match).toMatchObject({ peersV4: mode, peersV6: mode });
        expect((await bed.traffic.tcp(ADDR.matched, 8080, 800)).ok).toBe(false);
        expect((await bed.traffic.tcp(ADDR.neighbour, 8080)).ok).toBe(true);
        expect((await bed.traffic.tcp(ADDR.matched6, 8080, 800)).ok).toBe(false);
        expect((await bed.traffic.tcp(ADDR.neighbour6, 8080)).ok).toBe(true);
        expect((await bed.traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
      } finally {
        await agent.revert({ faultId: id });
      }
      expect((await bed.traffic.tcp(ADDR.matched, 8080)).ok).toBe(true);
      expect((await bed.traffic.tcp(ADDR.matched6, 8080)).ok).toBe(true);
    },
  );
});
