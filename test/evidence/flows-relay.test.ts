// The flows collector reading the Hubble stand-in's gRPC server (a real
// Observer stream over a store of flows): a relay that cannot give the whole
// window in time is read from its newest end, and an opening whose reply was
// never read is not taken for one that got none.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createFlowsCollector, nextSlice, type FlowsEvidence } from '../../activities/collectors/flows/index.ts';
import { createHubbleClient, type ConnectionStats, type HubbleClient } from '../../activities/hubble/index.ts';
import type { TapRecord } from '../../lab/hubble/flowtap.ts';
import { delta, FlowStore, startObserverServer, toFlows, type ObserverServer } from '../../lab/hubble/index.ts';
import { podEndpoints, shopPod, tapRecord } from './helpers/tap.ts';

const FRONTEND = '10.244.1.10';
/** The cut: the last 4.5 s of the window. */
const CUT_MS = 4500;
const CART = '10.244.2.20';
const endpoints = podEndpoints(
  new Map([
    [FRONTEND, shopPod('checkout-frontend')],
    [CART, shopPod('cart-service-v1')],
  ]),
);

const record = (over: Partial<TapRecord>) => tapRecord({ src: FRONTEND, dst: CART, sport: 40000, atMs: 0, ...over });

/**
 * A connection frontend → cart:80 every 50 ms over the last 30 s, each
 * answered by a SYN-ACK 1 ms later, except those of the last `cutMs`: their
 * SYNs (sent twice) arrive and nothing comes back. As the stand-in reports
 * them: once a second, that second's requests and then their replies.
 */
function fill(store: FlowStore, now: number, cutMs: number): void {
  const push = (r: TapRecord) => store.push(toFlows(delta(r, undefined), { endpoints, at: new Date(r.atMs) }), r.atMs);
  for (let tick = now - 30_000; tick <= now; tick += 1000) {
    const replies: TapRecord[] = [];
    for (let at = tick; at < Math.min(tick + 1000, now + 1); at += 50) {
      const port = 33000 + (at - now + 30_000) / 50;
      if (at > now - cutMs) {
        push(record({ sport: port, tx: 2, rx: 2, syn: 2, atMs: at }));
        continue;
      }
      push(record({ sport: port, tx: 1, rx: 1, syn: 1, atMs: at }));
      replies.push(record({ src: CART, dst: FRONTEND, sport: 80, dport: port, tx: 1, rx: 1, syn: 1, atMs: at + 1 }));
    }
    replies.forEach(push);
  }
}

const cartPair = (evidence: FlowsEvidence | undefined): ConnectionStats | undefined =>
  evidence?.connections.find((c) => c.destination === 'production/cart-service-v1' && c.port === 80);

describe('the flows collector against a relay that answers slowly', () => {
  let server: ObserverServer;
  let hubble: HubbleClient;
  const store = new FlowStore();
  let now: number;

  beforeAll(async () => {
    server = await startObserverServer(store, '127.0.0.1:0');
    hubble = createHubbleClient(server.address);
    now = Date.now();
    fill(store, now, CUT_MS);
  });

  afterAll(async () => {
    hubble.close();
    await server.stop();
  });

  const collect = (params: Record<string, string | number>) =>
    createFlowsCollector(hubble)({
      params: { window: '30s', ...params },
      context: { workflowId: 'test', runbook: 'test', stepId: 'gather', key: 'test' },
    });

  test('read whole: the cut at the window’s end is found, every earlier connection answered', async () => {
    const result = await collect({});
    const cart = cartPair(result.evidence);
    expect(result.evidence?.readFrom).toBe(result.evidence?.since);
    // The cut's SYNs of the last 2 s are too new to call; the rest of the cut is unanswered.
    expect(cart?.attempts).toBeGreaterThan(500);
    expect(cart!.attempts - cart!.answered).toBeGreaterThanOrEqual(3);
    expect(Date.parse(cart!.trailingLoss.since!)).toBeGreaterThan(now - CUT_MS);
    expect(cart!.trailingLoss.unanswered).toBe(cart!.attempts - cart!.answered);
    expect(result.findings.map((f) => f.kind)).toContain('flows.unanswered');
  });

  test('cut short: the newest end is read first, and openings whose replies were not read are not unanswered', async () => {
    // 300 flows per question: the newest 5 s slice (under 200 flows) whole, the next (10 s) one cut in its
    // oldest part, inside a second whose replies come after its requests.
    const result = await collect({ maxFlows: 300, recentFlows: 0 });
    const cart = cartPair(result.evidence);
    const readFrom = Date.parse(result.evidence!.readFrom!);
    // Read back the first slice (5 s), not to the window's start.
    expect(readFrom).toBeGreaterThan(Date.parse(result.evidence!.since!));
    expect(Date.now() - readFrom).toBeGreaterThanOrEqual(5000);
    expect(result.findings.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['flows.partly-read', 'flows.unanswered']),
    );
    // Every unanswered connection is one of the cut's: none from the part whose replies were cut off.
    expect(cart!.attempts - cart!.answered).toBeGreaterThanOrEqual(3);
    expect(cart!.trailingLoss.unanswered).toBe(cart!.attempts - cart!.answered);
    expect(Date.parse(cart!.trailingLoss.since!)).toBeGreaterThan(now - CUT_MS);
  });

  test('a busy window: openings are read newest first until enough, the drops and answers over the whole window', async () => {
    // About 40 opening flows a second: the newest 5 s slice has fewer than 300, so the seconds before it
    // are read too — as many as the rest should take at that rate, not the 10 s a doubled slice would be.
    const result = await collect({ enoughFlows: 300, recentFlows: 0 });
    const evidence = result.evidence!;
    const cart = cartPair(evidence);
    const openingsFrom = Date.parse(evidence.openingsFrom!);
    expect(openingsFrom).toBeGreaterThan(Date.parse(evidence.since!));
    expect(openingsFrom).toBeLessThan(now - 5000);
    expect(openingsFrom).toBeGreaterThan(now - 12_000);
    // Read by choice, not cut: the window counts as read whole.
    expect(evidence.readFrom).toBe(evidence.since);
    expect(result.findings.map((f) => f.kind)).not.toContain('flows.partly-read');
    // Fewer openings than the whole window's 600, the cut at its end still found.
    expect(cart!.attempts).toBeLessThan(400);
    expect(cart!.attempts - cart!.answered).toBeGreaterThanOrEqual(3);
    expect(Date.parse(cart!.trailingLoss.since!)).toBeGreaterThan(now - CUT_MS);
  });
});

describe('the next slice of a question', () => {
  test('doubles without enough, and with enough is sized by the rate read so far', () => {
    expect(nextSlice(5000, 1500, 5000)).toBe(10_000);
    // 1,500 flows in 5 s, 500 missing: about 1.7 s of them, a quarter more.
    expect(nextSlice(5000, 1500, 5000, 2000)).toBe(2084);
    // Nothing read yet, or enough already: doubled.
    expect(nextSlice(5000, 0, 5000, 2000)).toBe(10_000);
    expect(nextSlice(5000, 2500, 5000, 2000)).toBe(10_000);
    // Never shorter than MIN_SLICE_MS, never longer than doubled.
    expect(nextSlice(5000, 1990, 5000, 2000)).toBe(1000);
    expect(nextSlice(5000, 10, 5000, 2000)).toBe(10_000);
  });
});
