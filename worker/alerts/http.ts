// Mounts the Alertmanager webhook on the gateway's HTTP server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAlertWebhook, readBody, type AlertWebhookDeps } from './webhook.ts';

export const ALERTMANAGER_PATH = '/webhooks/alertmanager';

export function alertmanagerRoute(deps: AlertWebhookDeps) {
  return {
    method: 'POST' as const,
    path: ALERTMANAGER_PATH,
    async handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const declared = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
      const body = await readBody(req, deps.config.alerts.maxBodyBytes, declared);
      if (body === 'too-large') {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: `body larger than ${deps.config.alerts.maxBodyBytes} bytes` }));
        req.destroy();
        return;
      }
      const answer = await handleAlertWebhook({ headers: req.headers, body }, deps);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    },
  };
}
