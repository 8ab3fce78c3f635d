// Small servers for evidence tests: the traffic probe's JSON API, and a TCP
// server that accepts connections and never answers (a hung dependency).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';

export interface Running {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves /summary and /series like the lab's probe, with a success rate you choose. */
export async function startProbeServer(successRate: () => number, p95Ms = 20): Promise<Running> {
  const summary = () => {
    const requests = 200;
    const failures = Math.round(requests * (1 - successRate()));
    return {
      successRate: successRate(),
      requests,
      failures,
      successes: requests - failures,
      p50Ms: 8,
      p95Ms,
      p99Ms: p95Ms * 1.5,
      failureKinds: failures ? { timeout: failures } : {},
      windowSeconds: 10,
      from: 0,
      to: 0,
      target: 'test',
    };
  };
  const server = createHttpServer((req, res) => {
    const now = Math.floor(Date.now() / 1000);
    if (req.url?.startsWith('/summary'))
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary()));
    if (req.url?.startsWith('/series')) {
      const rows = Array.from({ length: 60 }, (_, i) => ({
        t: now - 60 + i,
        requests: 20,
        successes: 20,
        failures: 0,
        successRate: 1,
        p50Ms: 8,
        p95Ms: 20,
        p99Ms: 30,
        failureKinds: {},
      }));
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ target: 'test', rows }));
    }
    return res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, port, stop: () => new Promise((r) => server.close(() => r())) };
}

/** Accepts TCP connections and never says a word. */
export async function startBlackhole(): Promise<Running> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
