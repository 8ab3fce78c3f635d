// The gateway's HTTP server: a list of routes (the Slack endpoint, health,
// metrics, and whatever a caller mounts, e.g. the Alertmanager webhook), each
// request counted and timed by route and status. No request takes it down: an
// unreadable target is a 400, a malformed request a 400 from `clientError`,
// and a handler that throws is logged and answered 500 (worker/http-guard.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guarded, guardServer, type GuardLog } from '../http-guard.ts';
import type { Metrics } from '../../model/index.ts';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface HttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function serve(
  routes: Route[],
  metrics: Metrics,
  port: number,
  host?: string,
  log?: GuardLog,
): Promise<HttpServer> {
  const refused = (reason: string) =>
    metrics.inc('nightshift_http_refused_total', 'Requests refused before routing, by reason', { reason });
  const server = createServer(
    guarded(
      (req, res, path) => {
        const started = performance.now();
        const route = routes.find((r) => r.path === path && r.method === req.method);
        const name = route?.path ?? (routes.some((r) => r.path === path) ? path : 'unknown');
        res.once('finish', () => {
          const labels = { route: name, status: String(res.statusCode) };
          metrics.inc('nightshift_http_requests_total', 'HTTP requests by route and status', labels);
          metrics.observe(
            'nightshift_http_request_seconds',
            'Time to answer (for /slack/events: the ack)',
            (performance.now() - started) / 1000,
            { route: name },
          );
        });
        if (!route) {
          const allowed = routes.filter((r) => r.path === path).map((r) => r.method);
          return allowed.length
            ? json(res, 405, { error: `use ${allowed.join(' or ')}` })
            : json(res, 404, { error: `no route ${path}` });
        }
        return route.handler(req, res);
      },
      log,
      () => refused('unreadable-target'),
    ),
  );
  guardServer(server, log, (code) => refused(`client-error:${code}`));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
