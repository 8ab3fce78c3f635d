// Proof the fault took effect: after injecting, the workflow reads the
// counters and says "confirmed" (with them) or "no matching traffic seen".
import { faultAbortSignal, faultStatusQuery } from '../../workflows/index.ts';
import { useFaultBed } from './helpers/bed.ts';
import { ADDR, IFACE } from './helpers/netns.ts';
import { faultId, until } from './helpers/workers.ts';

describe('fault verdicts', () => {
  const bed = useFaultBed();

  test('a fault on live traffic is confirmed, with the counters that prove it', async () => {
    const id = faultId('live');
    bed.ids.push(id);
    await bed.traffic.ping(ADDR.server, 9053, 20);
    try {
      const handle = await bed.harness.start(
        {
          target: { node: bed.node, interface: IFACE },
          kind: 'drop',
          match: { direction: 'ingress', protocol: 'udp', dstPorts: 9053 },
          magnitude: { percent: 100 },
          duration: '1m',
          verdictAfter: '1s',
        },
        { id },
      );
      const status = await until(
        () => handle.query(faultStatusQuery),
        (s) => s.verdict !== undefined,
        'a verdict',
      );
      expect(status.verdict?.outcome).toBe('confirmed');
      expect(status.verdict?.counters.dropped).toBeGreaterThan(10);
      expect(status.verdict?.counters.matched).toBe(status.verdict?.counters.dropped);
      await handle.signal(faultAbortSignal, { reason: 'seen enough' });
      const result = await handle.result();
      expect(result.verdict?.outcome).toBe('confirmed');
      expect(result.counters.dropped).toBeGreaterThanOrEqual(status.verdict?.counters.dropped ?? 0);
    } finally {
      await bed.traffic.stopPing();
    }
  });

  test('a fault on a port nobody uses reports "no matching traffic seen"', async () => {
    const id = faultId('idle');
    bed.ids.push(id);
    const handle = await bed.harness.start(
      {
        target: { node: bed.node, interface: IFACE },
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
