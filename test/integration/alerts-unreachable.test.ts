// When Temporal does not answer, the webhook says so with 503 (and
// Retry-After), so Alertmanager sends the alerts again instead of losing
// them; /readyz says Temporal is unreachable; /healthz still answers. A
// client whose server is gone: a lazy connection to a port nothing listens on.
import { Client, Connection } from '@temporalio/client';
import { alertmanagerRoute } from '../../worker/alerts/index.ts';
import { loadConfig } from '../../worker/config.ts';
import { healthRoutes } from '../../worker/gateway/health.ts';
import { Metrics } from '../../model/index.ts';
import { serve, type HttpServer } from '../../worker/gateway/server.ts';
import { createLogger } from '../../worker/logger.ts';
import { payload } from '../fixtures/alerts.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';

const TOKEN = 'unreachable-token';
let server: HttpServer;
let client: Client;

beforeAll(async () => {
  const base = loadConfig({});
  const config = {
    ...base,
    alerts: {
      ...base.alerts,
      bearerToken: TOKEN,
      routes: [{ matchers: ['severity="page"'], runbook: 'alert-test', params: { namespace: '${labels.namespace}' } }],
    },
  };
  client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const metrics = new Metrics();
  const log = createLogger({ level: 'silent' });
  server = await serve(
    [
      alertmanagerRoute({ config, client, runbooks: () => testRunbook('alert-test'), log }),
      ...healthRoutes(client, metrics, 1_000),
    ],
    metrics,
    0,
    '127.0.0.1',
  );
});
afterAll(async () => {
  await server?.close();
  await client?.connection.close().catch(() => undefined);
});

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

test('the webhook answers 503 with Retry-After, and says the alerts were not accepted', async () => {
  const answer = await fetch(url('/webhooks/alertmanager'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(payload()),
  });
  expect(answer.status).toBe(503);
  expect(answer.headers.get('retry-after')).toBe('10');
  expect(await answer.json()).toMatchObject({ error: expect.stringMatching(/not accepted .*send them again/) });
});

test('/readyz says Temporal is unreachable; /healthz still answers', async () => {
  const ready = await fetch(url('/readyz'));
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ ok: false, temporal: expect.stringMatching(/^unreachable/) });
  expect((await fetch(url('/healthz'))).status).toBe(200);
});
