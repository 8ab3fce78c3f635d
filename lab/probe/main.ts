// The traffic probe process: POST /checkout on a ready checkout-frontend
// pod (round robin over the Service's EndpointSlices) 20 times a second,
// each with a 2 s timeout, recording per second what happened (from the
// first successful checkout on). Serves:
//   GET /healthz
//   GET /summary?window=10s   -> ProbeSummary (see schema.ts, docs/lab.md)
//   GET /series?last=60       -> { target, rows: ProbeRow[] }
import { createServer, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { createLogger } from '../../worker/base.ts';
import { EndpointSlices } from '../endpoint-slices.ts';
import { loadKubeConfig } from '../k8s.ts';
import { labPaths } from '../paths.ts';
import { PORTS, PROBE_TARGET } from '../topology.ts';
import { Recorder } from './recorder.ts';
import { parseSeconds } from './schema.ts';

const env = z
  .object({
    NIGHTSHIFT_DATA_DIR: z.string().min(1),
    LOG_LEVEL: z.string().default('info'),
    PROBE_RATE: z.coerce.number().positive().max(200).default(20),
    PROBE_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  })
  .parse(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-probe', destination: process.stdout });
const slices = new EndpointSlices(loadKubeConfig(labPaths(env.NIGHTSHIFT_DATA_DIR).kubeconfig));
const target = `${PROBE_TARGET.namespace}/${PROBE_TARGET.service} POST ${PROBE_TARGET.path}`;
const recorder = new Recorder(target);
let turn = 0;
/** The probe starts with the lab: it records nothing before the first successful checkout. */
let armed = false;

interface Outcome {
  failure?: string;
  /** What a failed answer said: its JSON `error`, or the start of its text. */
  reason?: string;
}

function said(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return body.trim() || undefined;
}

function checkout(ip: string, port: number): Promise<Outcome> {
  return new Promise((done) => {
    const req = request(
      {
        host: ip,
        port,
        method: 'POST',
        path: PROBE_TARGET.path,
        agent: false,
        timeout: env.PROBE_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': 2 },
      },
      (res) => {
        if (res.statusCode === 200) {
          res.resume();
          res.on('end', () => done({}));
        } else {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 2048) body += chunk;
          });
          res.on('end', () => {
            const reason = said(body);
            done({ failure: `http-${res.statusCode}`, ...(reason ? { reason } : {}) });
          });
        }
        res.on('error', () => done({ failure: 'reset' }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => done({ failure: err.code ?? 'error' }));
    req.end('{}');
  });
}

async function shoot(): Promise<void> {
  const started = performance.now();
  const endpoints = slices.ready(PROBE_TARGET.namespace, PROBE_TARGET.service);
  if (!armed && endpoints.length === 0) return;
  const endpoint = endpoints[turn++ % Math.max(1, endpoints.length)];
  const outcome: Outcome = endpoint ? await checkout(endpoint.ip, endpoint.port) : { failure: 'no-endpoints' };
  if (!armed && outcome.failure !== undefined) return;
  armed = true;
  recorder.record(
    Date.now(),
    performance.now() - started,
    outcome.failure,
    outcome.reason && endpoint?.pod ? `${outcome.reason} (${endpoint.pod})` : outcome.reason,
  );
}

function param(url: URL, name: string, fallback: number): number | undefined {
  const raw = url.searchParams.get(name);
  return raw === null ? fallback : parseSeconds(raw);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://probe');
  const json = (status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (url.pathname === '/healthz') return json(200, { ok: true });
  if (url.pathname === '/summary') {
    const window = param(url, 'window', 10);
    if (window === undefined || window > 3600)
      return json(400, { error: 'window must be like 10s, 2m or 30 (at most 3600 s)' });
    return json(200, recorder.summary(window));
  }
  if (url.pathname === '/series') {
    const last = param(url, 'last', 60);
    if (last === undefined || last > 3600)
      return json(400, { error: 'last must be a number of seconds (at most 3600)' });
    return json(200, { target, rows: recorder.series(last) });
  }
  return json(404, { error: 'try /summary?window=10s or /series?last=60' });
});

await slices.start(log);
setInterval(() => void shoot(), 1000 / env.PROBE_RATE);
server.listen(PORTS.probe, '127.0.0.1');
log.info({ port: PORTS.probe, rate: env.PROBE_RATE, target }, 'probe running');
process.once('SIGTERM', () => process.exit(0));
