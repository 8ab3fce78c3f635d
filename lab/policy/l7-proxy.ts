// The lab's L7 proxy for one pod, Envoy's part in Cilium's L7 policy:
//   ip netns exec <pod netns> node lab/policy/l7-proxy.ts <config file> <events file>
// The policy agent starts it in the pod's network namespace and points the
// pod's nftables table at it (l7-nft.ts). For every enforced port it
// listens on the config's proxy port; each request on a connection
// (keep-alive included) is judged on its own (decideL7): a denied one is
// answered `403 Access denied` here and never reaches the application; an
// allowed one is sent to the application on 127.0.0.1:<port> and its
// answer relayed. Each request and answer is appended to the events file
// (l7-events.ts), which the Hubble stand-in reads. The config is read
// again when it changes (SIGHUP from the agent, or a poll of the file).
// Prints "ready" once every port listens.
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decideL7, l7ConfigSchema, type L7Config } from './l7-config.ts';
import type { L7Event } from './l7-events.ts';

const [configFile, eventsFile] = process.argv.slice(2);
if (!configFile || !eventsFile) {
  process.stderr.write('usage: l7-proxy.ts <config file> <events file>\n');
  process.exit(2);
}

/** Envoy's answer to a request its policy denies (Cilium's L7 filter). */
const DENIED_BODY = 'Access denied\r\n';
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

const read = (): L7Config => l7ConfigSchema.parse(JSON.parse(readFileSync(configFile, 'utf8')));
let config = read();
const reload = () => {
  try {
    config = read();
  } catch (err) {
    // Being rewritten, or broken: the last good config stays.
    process.stderr.write(`l7-proxy: config not read: ${(err as Error).message}\n`);
  }
};
process.on('SIGHUP', reload);
watchFile(configFile, { interval: 500 }, reload);

const events = createWriteStream(eventsFile, { flags: 'a' });
const upstream = new Agent({ keepAlive: true });
const v4 = (address: string | undefined) => (address ?? '').replace(/^::ffff:/, '');
const headersOf = (h: IncomingMessage['headers']) =>
  Object.fromEntries(Object.entries(h).filter(([k, v]) => v !== undefined && !HOP_BY_HOP.has(k)));

function handle(port: number, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  const client = { ip: v4(req.socket.remoteAddress), port: req.socket.remotePort ?? 0 };
  const server = { ip: v4(req.socket.localAddress), port };
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const host = req.headers.host ?? `${server.ip}:${port}`;
  // Envoy gives every request an id (and the application sees it); Cilium pairs request and response by it.
  const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID();
  const decision = decideL7(config, client.ip, port, { method, path, host, headers: req.headers });
  const http = {
    method,
    url: `http://${host}${path}`,
    protocol: `HTTP/${req.httpVersion}`,
    headers: [{ key: 'x-request-id', value: requestId }],
  };
  const log = (type: L7Event['type'], verdict: L7Event['verdict'], code?: number) => {
    const event: L7Event = {
      type,
      verdict,
      atMs: performance.timeOrigin + performance.now(),
      client,
      server,
      clientIdentity: decision.identity,
      serverIdentity: config.endpoint.identity,
      endpointId: config.endpoint.id,
      http: { ...http, ...(code === undefined ? {} : { code }) },
      ...(type === 'RESPONSE' ? { latencyNs: Number(process.hrtime.bigint() - started) } : {}),
    };
    events.write(`${JSON.stringify(event)}\n`);
  };
  log('REQUEST', decision.allowed ? 'FORWARDED' : 'DROPPED');
  if (!decision.allowed) {
    req.resume();
    res.on('finish', () => log('RESPONSE', 'FORWARDED', 403));
    res
      .writeHead(403, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(DENIED_BODY),
        server: 'envoy',
      })
      .end(DENIED_BODY);
    return;
  }
  const out = request({
    host: '127.0.0.1',
    port,
    method,
    path,
    agent: upstream,
    headers: { ...headersOf(req.headers), 'x-request-id': requestId },
  });
  out.on('response', (answer) => {
    const code = answer.statusCode ?? 502;
    res.on('finish', () => log('RESPONSE', 'FORWARDED', code));
    res.writeHead(code, headersOf(answer.headers));
    answer.pipe(res);
  });
  out.on('error', (err) => {
    if (res.headersSent) return void res.destroy(err);
    // Envoy's words when the upstream cannot be reached.
    const body = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';
    res.on('finish', () => log('RESPONSE', 'FORWARDED', 503));
    res.writeHead(503, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  req.pipe(out);
}

const servers: Server[] = await Promise.all(
  config.ports.map(
    ({ port, proxyPort }) =>
      new Promise<Server>((resolve, reject) => {
        const server = createServer({ keepAlive: true }, (req, res) => handle(port, req, res));
        server.once('error', reject);
        server.listen(proxyPort, '0.0.0.0', () => resolve(server));
      }),
  ),
);
process.stdout.write('ready\n');

const stop = () => {
  unwatchFile(configFile);
  for (const s of servers) s.close();
  events.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
