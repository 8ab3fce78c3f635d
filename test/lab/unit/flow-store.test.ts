// The stand-in's flow buffer: time windows read by when flows were stored,
// however late a flow was stored after its packet; the newest `capacity`
// kept; counts from either end.
import { describe, expect, test } from '@jest/globals';
import { FlowStore } from '../../../lab/hubble/store.ts';
import type { FlowMessage } from '../../../lab/hubble/flows.ts';
import type { Stored } from '../../../lab/hubble/store.ts';

const T0 = Date.parse('2026-12-03T03:00:00Z');
/** A flow told apart by its number (carried as its node's name: the store reads no field of a flow). */
const flow = (n: number): FlowMessage => ({ flow: {}, node_name: String(n), time: { seconds: '0', nanos: 0 } });
const ids = (items: Stored[]) => items.map((i) => Number(i.node_name));

describe('FlowStore', () => {
  test('a window finds flows by their time, also those stored late and out of order', () => {
    const store = new FlowStore();
    // Each second's pass stores the flows of the second before it, the newest not always last.
    for (let s = 1; s <= 10; s++) {
      store.push([flow(s * 10)], T0 + (s - 1) * 1000 + 900, T0 + s * 1000);
      store.push([flow(s * 10 + 1)], T0 + (s - 1) * 1000 + 100, T0 + s * 1000);
    }
    expect(ids(store.window(T0 + 3000, T0 + 5000))).toEqual([40, 41, 50, 51]);
    // One flow stored 6 s after its packet is still found in its own window.
    store.push([flow(999)], T0 + 4500, T0 + 10_500);
    expect(ids(store.window(T0 + 4000, T0 + 5000))).toEqual([50, 51, 999]);
    expect(ids(store.window(T0 + 9000))).toEqual([100, 101]);
    expect(ids(store.window(T0 + 4000, T0 + 5000, (i) => i.node_name !== '51'))).toEqual([50, 999]);
  });

  test('only the newest capacity flows are kept; counts come from the newest end, or the oldest with first', () => {
    const store = new FlowStore(100);
    for (let n = 0; n < 5000; n++) store.push([flow(n)], T0 + n, T0 + n);
    expect(store.size).toBe(100);
    expect(store.seen).toBe(5000);
    expect(ids(store.window(T0)).length).toBe(100);
    expect(ids(store.window(T0))[0]).toBe(4900);
    const odd = (i: Stored) => Number(i.node_name) % 2 === 1;
    expect(ids(store.take(3, odd))).toEqual([4995, 4997, 4999]);
    expect(ids(store.take(3, odd, true))).toEqual([4901, 4903, 4905]);
  });
});
