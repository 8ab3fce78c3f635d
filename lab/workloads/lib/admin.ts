// The admin endpoint of a lab workload, on its own port (ADMIN_PORT, default
// 9901) so a fault on the service port does not cut it off:
//   GET    /admin/misbehave  current settings
//   PUT    /admin/misbehave  {"errorRate"?, "errorStatus"?, "delayMs"?}  change some
//   DELETE /admin/misbehave  back to the settings from env
//   GET    /healthz
//   GET    /metrics          what the workload counted (Prometheus text format)
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../../../model/index.ts';
import { misbehavePatchSchema, type Misbehave } from './misbehave.ts';
import { readBody, sendJson } from './http.ts';

export interface Switch {
  current: Misbehave;
  readonly fromEnv: Misbehave;
}

export function startAdmin(port: number, sw: Switch, metrics: Metrics, log: (msg: object) => void): Server {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz') return sendJson(res, 200, { ok: true });
      if (req.url === '/metrics' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        return res.end(metrics.text());
      }
      if (req.url !== '/admin/misbehave') return sendJson(res, 404, { error: 'not found' });
      if (req.method === 'GET') return sendJson(res, 200, sw.current);
      if (req.method === 'DELETE') {
        sw.current = { ...sw.fromEnv };
        log({ msg: 'misbehave reset', misbehave: sw.current });
        return sendJson(res, 200, sw.current);
      }
      if (req.method !== 'PUT' && req.method !== 'POST') return sendJson(res, 405, { error: 'use GET, PUT or DELETE' });
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch {
        return sendJson(res, 400, { error: 'body is not JSON' });
      }
      const parsed = misbehavePatchSchema.safeParse(body);
      if (!parsed.success) {
        return sendJson(res, 400, {
          error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        });
      }
      sw.current = { ...sw.current, ...parsed.data };
      log({ msg: 'misbehave changed', misbehave: sw.current });
      return sendJson(res, 200, sw.current);
    })();
  });
  server.listen(port);
  return server;
}
