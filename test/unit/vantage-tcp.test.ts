// The agents' TCP connect sampler: a refused connect still proves the path, and
// a time budget cuts the attempts short rather than losing every sample.
import { createServer, type Server } from 'node:net';
import { sampleTcp } from '../../activities/vantage/tcp.ts';

let server: Server;
let open = 0;
let closed = 0;

beforeAll(async () => {
  server = createServer((socket) => socket.destroy());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  open = (server.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  closed = (probe.address() as { port: number }).port;
  await new Promise<void>((done) => probe.close(() => done()));
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

test('a listening port connects, a closed one is refused (the path works), each attempt counted', async () => {
  const samples = await sampleTcp({
    targets: [
      { name: 'up', host: '127.0.0.1', port: open },
      { name: 'shut', host: '127.0.0.1', port: closed },
    ],
    attempts: 3,
    timeoutMs: 500,
    intervalMs: 0,
  });
  expect(samples.filter((s) => s.target === 'up').map((s) => s.outcome)).toEqual([
    'connected',
    'connected',
    'connected',
  ]);
  expect(samples.filter((s) => s.target === 'shut').map((s) => s.outcome)).toEqual(['refused', 'refused', 'refused']);
});

test('with a budget, attempts that could not finish in it are not started: fewer samples, never none', async () => {
  const started = Date.now();
  const samples = await sampleTcp({
    targets: [{ name: 'up', host: '127.0.0.1', port: open }],
    attempts: 50,
    timeoutMs: 200,
    intervalMs: 100,
    endBy: started + 450,
  });
  expect(samples.length).toBeGreaterThanOrEqual(1);
  expect(samples.length).toBeLessThan(5);
  const tight = await sampleTcp({
    targets: [{ name: 'up', host: '127.0.0.1', port: open }],
    attempts: 5,
    timeoutMs: 500,
    intervalMs: 0,
    endBy: Date.now() + 1,
  });
  expect(tight).toHaveLength(1);
});

test('with an end time, a helper that started late still answers by then: one attempt, not a kill', async () => {
  const endBy = Date.now() + 300;
  const samples = await sampleTcp({
    targets: [{ name: 'up', host: '127.0.0.1', port: open }],
    attempts: 50,
    timeoutMs: 200,
    intervalMs: 100,
    endBy,
  });
  expect(samples.length).toBeGreaterThanOrEqual(1);
  expect(samples.length).toBeLessThan(3);
  const late = await sampleTcp({
    targets: [{ name: 'up', host: '127.0.0.1', port: open }],
    attempts: 5,
    timeoutMs: 500,
    intervalMs: 0,
    endBy: Date.now() - 1000,
  });
  expect(late).toHaveLength(1);
});
