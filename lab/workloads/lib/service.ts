// A lab workload's HTTP service: routes by "METHOD /path", the misbehave
// switch in front of every route but /healthz, the admin endpoint beside it,
// and a graceful stop on SIGTERM (keep serving for DRAIN_MS while endpoints
// and DNS forget the pod, then close). Every answer is counted for
// Prometheus (GET /metrics on the admin port): http_requests_total by method,
// route and code, and http_request_duration_seconds by method and route.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Metrics } from '../../../model/index.ts';
import { startAdmin, type Switch } from './admin.ts';
import { sendJson } from './http.ts';
import { decide, misbehaveFromEnv } from './misbehave.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const baseEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65535),
  ADMIN_PORT: z.coerce.number().int().min(1).max(65535).default(9901),
  DRAIN_MS: z.coerce.number().int().min(0).default(3000),
  HOSTNAME: z.string().default('unknown'),
});

export function logger(service: string): (entry: object) => void {
  return (entry) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service, ...entry })}\n`);
}

export interface Workload {
  name: string;
  port: number;
  pod: string;
  sw: Switch;
  metrics: Metrics;
  log: (entry: object) => void;
}

/** Read the common env, start the admin endpoint, and arrange the graceful stop. */
export function workload(name: string, onStop: () => Promise<void>): Workload {
  const env = baseEnv.parse(process.env);
  const fromEnv = misbehaveFromEnv(process.env);
  const sw: Switch = { current: { ...fromEnv }, fromEnv };
  const log = logger(name);
  const metrics = new Metrics();
  const admin = startAdmin(env.ADMIN_PORT, sw, metrics, log);
  process.once('SIGTERM', () => {
    log({ msg: 'SIGTERM: draining', drainMs: env.DRAIN_MS });
    void sleep(env.DRAIN_MS)
      .then(onStop)
      .finally(() => {
        admin.close();
        process.exit(0);
      });
  });
  log({ msg: 'started', port: env.PORT, adminPort: env.ADMIN_PORT, misbehave: fromEnv });
  return { name, port: env.PORT, pod: env.HOSTNAME, sw, metrics, log };
}

const REQUESTS = 'http_requests_total';
const REQUESTS_HELP = 'HTTP requests answered, by method, route and status code';
const DURATION = 'http_request_duration_seconds';
/** Codes every route starts with at zero: a series born with its first failure loses that failure to rate(). */
const KNOWN_CODES = ['200', '500', '502', '503'];

export function serveHttp(name: string, routes: Record<string, Handler>): Workload {
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const w = workload(name, () => new Promise((done) => server.close(() => done())));
  for (const key of Object.keys(routes)) {
    const [method = 'GET', route = '/'] = key.split(' ');
    for (const code of KNOWN_CODES) w.metrics.inc(REQUESTS, REQUESTS_HELP, { method, route, code }, 0);
  }
  server.keepAliveTimeout = 1000;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return sendJson(res, 200, { ok: true, pod: w.pod });
    const route = routes[`${req.method} ${path}`];
    const labels = { method: req.method ?? 'GET', route: route ? path : 'unmatched' };
    const started = performance.now();
    res.once('finish', () => {
      w.metrics.inc(REQUESTS, REQUESTS_HELP, {
        ...labels,
        code: String(res.statusCode),
      });
      w.metrics.observe(DURATION, 'Time to answer an HTTP request', (performance.now() - started) / 1000, labels);
    });
    if (!route) return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
    const { delayMs, fail } = decide(w.sw.current);
    if (delayMs > 0) await sleep(delayMs);
    if (fail) {
      return sendJson(res, w.sw.current.errorStatus, { error: 'injected failure (misbehave switch)', pod: w.pod });
    }
    try {
      await route(req, res);
    } catch (err) {
      w.log({ msg: 'handler failed', path, error: (err as Error).message });
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message, pod: w.pod });
    }
  };
  server.listen(w.port);
  return w;
}
