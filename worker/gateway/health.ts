// GET /healthz (the process answers), GET /readyz (Temporal answers too),
// GET /metrics (Prometheus text).
import type { Client } from '@temporalio/client';
import type { Metrics } from '../../model/index.ts';
import { json, type Route } from './server.ts';

export function healthRoutes(client: Client, metrics: Metrics, readyTimeoutMs = 2_000): Route[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => json(res, 200, { ok: true }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        try {
          await client.connection.withDeadline(Date.now() + readyTimeoutMs, () =>
            client.workflowService.getSystemInfo({}),
          );
          json(res, 200, { ok: true, temporal: 'reachable' });
        } catch (err) {
          json(res, 503, { ok: false, temporal: `unreachable: ${err instanceof Error ? err.message : String(err)}` });
        }
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(metrics.text());
      },
    },
  ];
}
