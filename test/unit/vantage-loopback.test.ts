// The measurer's own share of a lookup (activities/vantage/loopback.ts): the
// same lookups against an answerer on loopback, which answers at once, so the
// time a slow server adds is in the samples and not in the share.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { measureRuns, parseResolvConf } from '../../activities/vantage/index.ts';

// Long enough that the loopback round, which answers at once, stays well under it on a busy machine.
const HOLD_MS = 1000;
const server = createSocket('udp4');
let address = '';

beforeAll(async () => {
  // A DNS server that holds every answer HOLD_MS: svc.example exists, nothing else does.
  server.on('message', (query, from) => {
    const reply = Buffer.from(query);
    const exists = query.includes(Buffer.from('\x03svc\x07example\x00', 'latin1'));
    reply.writeUInt16BE(exists ? 0x8180 : 0x8183, 2);
    reply.writeUInt16BE(exists ? 1 : 0, 6);
    setTimeout(() => server.send(reply, from.port, from.address), HOLD_MS);
  });
  await new Promise<void>((done) => server.bind(0, '127.0.0.1', () => done()));
  address = `127.0.0.1:${server.address().port}`;
});
afterAll(() => {
  server.close();
});

describe("the measurer's own share", () => {
  test('is measured beside the samples and holds none of the time the server adds', async () => {
    const resolver = { ...parseResolvConf('search a.example\noptions ndots:2'), nameservers: [address] };
    const [run] = await measureRuns([
      {
        server: address,
        plan: {
          resolver,
          names: ['svc.example'],
          lookups: 4,
          concurrency: 2,
          lossAfterMs: 1000,
          endBy: Date.now() + 5000,
        },
      },
    ]);
    // svc.example has fewer dots than ndots: a.example's expansion first (NXDOMAIN), then the name itself.
    expect(run?.samples.map((s) => s.outcome)).toEqual(['NOERROR', 'NOERROR', 'NOERROR', 'NOERROR']);
    for (const s of run?.samples ?? []) expect(s.ms).toBeGreaterThanOrEqual(2 * HOLD_MS - 5);
    expect(run?.selfMs).toBeDefined();
    expect(run?.selfMs).toBeLessThan(HOLD_MS);
  });
});
