// The flows collector reads a window's connection openings newest end first,
// against the Hubble stand-in's real gRPC server: when the relay cannot send
// the whole window (here: more flows than maxFlows), what is lost is the
// window's oldest end, and a cut that has just begun is still in the evidence.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createFlowsCollector, type FlowsEvidence } from '../../activities/collectors/flows/index.ts';
import type { CollectorResult } from '../../model/index.ts';
import { createHubbleClient, type ConnectionStats } from '../../activities/hubble/index.ts';
import type { TapRecord } from '../../lab/hubble/flowtap.ts';
import {
  delta,
  FlowStore,
  identityOf,
  startObserverServer,
  toFlows,
  type ObserverServer,
} from '../../lab/hubble/index.ts';

const pod = (app: string) => {
  const labels = [`k8s:app=${app}`, 'k8s:io.kubernetes.pod.namespace=production'];
  return {
    namespace: 'production',
    pod: `${app}-7d9f8b6c4-x2x7q`,
    labels,
    workload: { name: app, kind: 'Deployment' },
    node: 'lab-node-1',
    identity: identityOf(labels),
  };
};
const IPS = new Map([
  ['10.244.1.10', pod('checkout-frontend')],
  ['10.244.2.20', pod('cart-service-v1')],
]);
const endpoints = {
  byIp: (ip: string) => IPS.get(ip) ?? { labels: ['reserved:world'], identity: 2 },
  podNamespaces: () => [],
  nodeOfNetns: () => 'lab-node-1',
  refresh: async () => undefined,
};

/** One connection from the frontend to the cart: its SYN, and the SYN-ACK when answered. */
function connection(sport: number, answered: boolean): TapRecord[] {
  const base: TapRecord = {
    src: '10.244.1.10',
    dst: '10.244.2.20',
    sport,
    dport: 80,
    proto: 6,
    tx: 1,
    txBytes: 60,
    rx: 1,
    rxBytes: 60,
    syn: 1,
    fin: 0,
    rst: 0,
    drops: 0,
    dropReason: 0,
    dropNetns: 0,
    httpRequests: 0,
    httpStatus: [0, 0, 0, 0, 0, 0],
    latencyNs: 0,
    latencyCount: 0,
    ageMs: 0,
    method: '',
    path: '',
  };
  const reply = { ...base, src: base.dst, dst: base.src, sport: 80, dport: sport };
  return answered ? [base, reply] : [{ ...base, rx: 0 }];
}

/**
 * A TCP hop to the relay that carries the relay's answers at `bytesPerSecond`
 * (a busy node's relay, or a slow link): the gRPC stream is real, just slow.
 */
async function slowHop(
  target: string,
  bytesPerSecond: () => number,
): Promise<{ address: string; sent(): number; close(): void }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let sent = 0;
  const server = createServer((client) => {
    const upstream = connect(port, host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    const queue: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => queue.push(chunk));
    const tick = setInterval(() => {
      let room = Math.max(1, Math.floor(bytesPerSecond() / 50));
      while (room > 0 && queue.length) {
        const head = queue[0]!;
        const part = head.subarray(0, room);
        client.write(part);
        sent += part.length;
        room -= part.length;
        if (part.length === head.length) queue.shift();
        else queue[0] = head.subarray(part.length);
      }
    }, 20);
    const end = () => {
      clearInterval(tick);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${bound}`,
    sent: () => sent,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const cartOf = (result: { evidence?: { connections?: unknown } }) =>
  (result.evidence?.connections as ConnectionStats[] | undefined)?.find(
    (c) => c.destination === 'production/cart-service-v1',
  );

describe('the flows collector reads a window newest end first', () => {
  let relay: ObserverServer;
  const store = new FlowStore();

  beforeAll(async () => {
    relay = await startObserverServer(store, '127.0.0.1:0');
    const now = Date.now();
    let port = 40000;
    const push = (ms: number, answered: boolean) => {
      const at = new Date(now - ms);
      for (const r of connection(port++, answered))
        store.push(toFlows(delta(r, undefined), { endpoints, at }), at.getTime());
    };
    // 26 s of answered traffic, then the last 4 s every connection unanswered (a cut that has just begun; those
    // of its last 2 s are too new to judge).
    for (let ms = 30_000; ms > 4000; ms -= 50) push(ms, true);
    for (let ms = 4000; ms > 500; ms -= 250) push(ms, false);
  });
  afterAll(async () => {
    await relay?.stop();
  });

  /** The collector as the worker runs it, with a 3 s budget. */
  const collect = (address: string): Promise<CollectorResult<FlowsEvidence>> =>
    new MockActivityEnvironment({ startToCloseTimeoutMs: 3000, scheduleToCloseTimeoutMs: 0 }).run(
      createFlowsCollector(createHubbleClient(address)),
      { params: { window: '30s', recentFlows: 0 } } as never,
    );

  test('the whole window when the relay sends it in time: every connection, and the cut at its end', async () => {
    const result = await collect(relay.address);
    const cart = cartOf(result);
    expect(result.evidence?.truncated).toBe(false);
    expect(cart?.attempts).toBeGreaterThan(500);
    expect(cart?.trailingLoss.unanswered).toBeGreaterThanOrEqual(5);
  });

  test('a relay too slow to send the window in time: its oldest end is left out, the cut at the newest is seen', async () => {
    // Measure the whole answer's size through the hop, then carry it at a pace that needs 4 s (the budget is 3 s).
    const measure = await slowHop(relay.address, () => 1e9);
    const whole = await collect(measure.address);
    const rate = Math.ceil(measure.sent() / 4);
    measure.close();
    expect(cartOf(whole)?.trailingLoss.unanswered).toBeGreaterThanOrEqual(5);
    const hop = await slowHop(relay.address, () => rate);
    try {
      const result = await collect(hop.address);
      const cart = cartOf(result);
      expect(result.evidence?.truncated).toBe(true);
      expect(cart?.attempts).toBeLessThan(cartOf(whole)!.attempts); // the oldest end was not read
      expect(cart?.trailingLoss.unanswered).toBeGreaterThanOrEqual(5);
      expect(result.findings.map((f) => f.kind)).toContain('flows.unanswered');
    } finally {
      hop.close();
    }
  });
});
