// Mounts the Alertmanager webhook on the gateway's HTTP server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../config.ts';
import { webhookAuthProblem } from './config.ts';
import { handleAlertWebhook, readBody, type AlertWebhookDeps } from './webhook.ts';

export const ALERTMANAGER_PATH = '/webhooks/alertmanager';

/**
 * The webhook route. `where` is 'dev' only for `nightshift dev` and the demo;
 * anywhere else it refuses to exist without credentials unless config
 * explicitly allows an open webhook (ConfigError, so the gateway does not start).
 */
export function alertmanagerRoute(deps: AlertWebhookDeps, where: 'dev' | 'service' = 'service') {
  const problem = webhookAuthProblem(deps.config.alerts, where);
  if (problem) throw new ConfigError(problem);
  if (!deps.config.alerts.bearerToken && !deps.config.alerts.username)
    deps.log.warn(
      { where, allowUnauthenticated: deps.config.alerts.allowUnauthenticated },
      'the Alertmanager webhook accepts requests without credentials',
    );
  return {
    method: 'POST' as const,
    path: ALERTMANAGER_PATH,
    async handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const receivedAt = new Date();
      const declared = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
      const body = await readBody(req, deps.config.alerts.maxBodyBytes, declared);
      if (body === 'too-large') {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: `body larger than ${deps.config.alerts.maxBodyBytes} bytes` }));
        req.destroy();
        return;
      }
      const answer = await handleAlertWebhook({ headers: req.headers, body }, deps);
      deps.observe?.(answer, receivedAt);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    },
  };
}
