// The Hubble stand-in's per-flow baseline: each tick reports what changed,
// and a live flow's old totals are never reported again as new.
import { tapKey, type TapRecord } from '../../../lab/hubble/flowtap.ts';
import { FlowBaseline } from '../../../lab/hubble/flows.ts';
import { tapRecord } from '../../evidence/helpers/tap.ts';

const record = (sport: number, totals: Partial<TapRecord> = {}): TapRecord =>
  tapRecord({ src: '10.200.0.1', dst: '10.244.2.5', sport, dport: 8080, ...totals });

const next = (b: FlowBaseline, r: TapRecord) => b.next(tapKey(r), r);

describe('flow baseline', () => {
  test('a tick reports only what changed since the flow was last seen; a new flow counts from zero', () => {
    const b = new FlowBaseline(10);
    expect(next(b, record(40000, { tx: 3, drops: 2 }))).toMatchObject({ tx: 3, drops: 2 });
    expect(next(b, record(40000, { tx: 5, drops: 2 }))).toMatchObject({ tx: 2, drops: 0 });
  });

  test('a flow that dropped under an earlier fault does not report those drops again after many other flows came and went', () => {
    const b = new FlowBaseline(100);
    // A connection lost 6 packets during a fault a while ago.
    next(b, record(40000, { tx: 100, drops: 6, dropReason: 5 }));
    for (let i = 0; i < 1000; i++) {
      // Many short flows since; the flow shows up again now and then.
      next(b, record(50000 + i, { tx: 1 }));
      if (i % 50 === 0) next(b, record(40000, { tx: 101 + i, drops: 6, dropReason: 5 }));
    }
    expect(next(b, record(40000, { tx: 2000, drops: 6, dropReason: 5 }))).toMatchObject({ drops: 0 });
    expect(b.size).toBeLessThanOrEqual(100);
  });

  test('totals that went down are a new flow on the same ports: counted from zero, so its drops are not hidden', () => {
    const b = new FlowBaseline(10);
    next(b, record(40000, { tx: 10, rx: 10, drops: 1 }));
    // The kernel's LRU let the old entry go; a new connection on the same ports drops one packet.
    expect(next(b, record(40000, { tx: 2, rx: 1, drops: 1 }))).toMatchObject({ tx: 2, rx: 1, drops: 1 });
  });

  test('the longest-quiet flows are the ones forgotten past capacity', () => {
    const b = new FlowBaseline(3);
    for (const sport of [1, 2, 3]) next(b, record(sport, { tx: 1 }));
    next(b, record(1, { tx: 2 })); // 1 is live again: 2 is now the quietest
    next(b, record(4, { tx: 1 }));
    expect(b.size).toBe(3);
    expect(next(b, record(1, { tx: 3 })).tx).toBe(1);
    expect(next(b, record(2, { tx: 1 })).tx).toBe(1); // forgotten: counted from zero
  });
});
