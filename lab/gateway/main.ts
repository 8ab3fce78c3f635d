// The lab gateway process: implements the Gateway production/external-gateway
// on 10.200.0.1:80. It watches HTTPRoutes and EndpointSlices and routes each
// request by the route's backend weights at that moment. Also serves the
// "outside" stand-in (api.stripe.com) and an admin page on 127.0.0.1:
//   GET /healthz   GET /routes (routes, weights and per-backend counts)
//   GET /metrics   gateway_requests_total by route, backend and code, and
//                  gateway_request_duration_seconds by route and backend
import { createServer } from 'node:http';
import { CustomObjectsApi, makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { Metrics } from '../../model/index.ts';
import { createLogger } from '../../worker/base.ts';
import { EndpointSlices } from '../endpoint-slices.ts';
import { restartingInformer } from '../informer.ts';
import { loadKubeConfig } from '../k8s.ts';
import { labPaths } from '../paths.ts';
import { HOST_IP, LAB_GATEWAY, OUTSIDE_IP, PORTS } from '../topology.ts';
import { startOutside } from './outside.ts';
import { forward, readAll } from './proxy.ts';
import { attachedTo, httpRouteSchema, pickBackend, selectRule, type HttpRoute } from './routes.ts';

const env = z
  .object({ NIGHTSHIFT_DATA_DIR: z.string().min(1), LOG_LEVEL: z.string().default('info') })
  .parse(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-gateway', destination: process.stdout });
const kc = loadKubeConfig(labPaths(env.NIGHTSHIFT_DATA_DIR).kubeconfig);
const custom = kc.makeApiClient(CustomObjectsApi);

const routeInformer = makeInformer<KubernetesObject>(kc, '/apis/gateway.networking.k8s.io/v1/httproutes', async () => {
  const list: unknown = await custom.listClusterCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
  });
  return z
    .object({
      metadata: z.object({ resourceVersion: z.string().optional() }).loose(),
      items: z.array(z.object({}).loose()),
    })
    .loose()
    .parse(list);
});
const slices = new EndpointSlices(kc);

function routes(): HttpRoute[] {
  return routeInformer.list().flatMap((obj) => {
    const parsed = httpRouteSchema.safeParse(obj);
    if (!parsed.success) {
      log.warn(
        { route: obj.metadata?.name, issues: parsed.error.issues },
        'ignoring an HTTPRoute the gateway cannot read',
      );
      return [];
    }
    return attachedTo(parsed.data, LAB_GATEWAY) ? [parsed.data] : [];
  });
}

const counts = new Map<string, { requests: number; errors: number }>();
const metrics = new Metrics();
function count(route: string, backend: string, status: number, seconds: number): void {
  const entry = counts.get(backend) ?? { requests: 0, errors: 0 };
  entry.requests += 1;
  if (status >= 500) entry.errors += 1;
  counts.set(backend, entry);
  const labels = { route, backend };
  metrics.inc('gateway_requests_total', 'Requests forwarded, by HTTPRoute, backend and status code', {
    ...labels,
    code: String(status),
  });
  metrics.observe('gateway_request_duration_seconds', 'Time to answer a forwarded request', seconds, labels);
}

const data = createServer((req, res) => {
  void (async () => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const selected = selectRule(routes(), req.headers.host ?? '', path, req.method ?? 'GET');
    if (!selected) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${req.headers.host}${path}\n`);
      return;
    }
    const backend = pickBackend(selected.backends);
    if (!backend) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('every backend has weight 0\n');
      return;
    }
    const namespace = backend.namespace ?? selected.route.metadata.namespace;
    const key = `${namespace}/${backend.name}`;
    let body: Buffer;
    try {
      body = await readAll(req);
    } catch (err) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      return;
    }
    const endpoints = slices.ready(namespace, backend.name, backend.port);
    const result = await forward(endpoints, req, body, res, {
      'x-nightshift-backend': backend.name,
      'x-nightshift-route': selected.route.metadata.name,
    });
    const route = `${selected.route.metadata.namespace}/${selected.route.metadata.name}`;
    count(route, key, result.status, (performance.now() - started) / 1000);
    if (result.failure) log.debug({ backend: key, failure: result.failure }, 'backend failed');
  })().catch((err: unknown) => {
    log.error({ err }, 'request handling failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('lab gateway error\n');
  });
});

const admin = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.text());
    return;
  }
  if (req.url === '/routes') {
    const body = routes().map((route) => ({
      namespace: route.metadata.namespace,
      name: route.metadata.name,
      hostnames: route.spec.hostnames,
      rules: route.spec.rules.map((rule) => ({
        matches: rule.matches,
        backends: rule.backendRefs.map((b) => {
          const ns = b.namespace ?? route.metadata.namespace;
          return {
            name: b.name,
            port: b.port,
            weight: b.weight,
            endpoints: slices.ready(ns, b.name, b.port),
            ...counts.get(`${ns}/${b.name}`),
          };
        }),
      })),
    }));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ gateway: LAB_GATEWAY, routes: body }));
    return;
  }
  res.writeHead(404).end();
});

await restartingInformer(routeInformer, 'httproutes', log);
await slices.start(log);
data.listen(PORTS.gateway, HOST_IP);
startOutside(OUTSIDE_IP, PORTS.outside);
admin.listen(PORTS.gatewayAdmin, '127.0.0.1');
log.info(
  { listen: `${HOST_IP}:${PORTS.gateway}`, outside: `${OUTSIDE_IP}:${PORTS.outside}`, admin: PORTS.gatewayAdmin },
  'lab gateway running',
);
process.once('SIGTERM', () => process.exit(0));
