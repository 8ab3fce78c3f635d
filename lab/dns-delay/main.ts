// The lab's slow DNS: a UDP proxy on the host that holds each query for a
// set time before passing it on to CoreDNS, answering with CoreDNS's reply.
// Idle until a delay is set: then the pods' DNS is diverted through it
// (nft.ts), as through a slow node-local cache in front of a cluster's DNS;
// CoreDNS itself stays fast, and its own metrics say so. Serves:
//   GET    /healthz
//   GET    /delay                    -> {"delayMs": n, "diverted": bool}
//   PUT    /delay {"delayMs": 1-5000} divert and delay
//   DELETE /delay                    stop diverting (queries under way still get their answers)
// On SIGTERM it takes the diversion away before it exits.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { createLogger } from '../../worker/base.ts';
import { DNS_IP, HOST_IP, PORTS } from '../topology.ts';
import { diverted, divertDns, removeDiversion } from './nft.ts';

const env = z.object({ LOG_LEVEL: z.string().default('info') }).parse(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-dns-delay', destination: process.stdout });
const delaySchema = z.object({ delayMs: z.number().int().min(1).max(5000) });
/** A client's upstream socket is closed after this long without a query. */
const IDLE_MS = 30_000;

let delayMs = 0;
const listener = createSocket('udp4');
/** One upstream socket per client address and port, so each reply goes back to whoever asked. */
const upstreams = new Map<string, { socket: Socket; idle: NodeJS.Timeout }>();

function upstreamFor(address: string, port: number): Socket {
  const key = `${address}:${port}`;
  const known = upstreams.get(key);
  if (known) {
    known.idle.refresh();
    return known.socket;
  }
  const socket = createSocket('udp4');
  socket.on('message', (reply, from) => {
    if (from.address === DNS_IP && from.port === PORTS.dns) listener.send(reply, port, address);
  });
  socket.on('error', (err) => log.warn({ err: err.message, client: key }, 'upstream socket failed'));
  const idle = setTimeout(() => {
    upstreams.delete(key);
    socket.close();
  }, IDLE_MS);
  upstreams.set(key, { socket, idle });
  return socket;
}

listener.on('message', (query, from) => {
  const pass = () => upstreamFor(from.address, from.port).send(query, PORTS.dns, DNS_IP);
  if (delayMs > 0) setTimeout(pass, delayMs);
  else pass();
});
listener.on('error', (err) => {
  log.error({ err: err.message }, 'DNS delay proxy cannot listen');
  process.exit(1);
});
listener.bind(PORTS.dnsDelay, HOST_IP);

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/healthz') return send(res, 200, { ok: true });
  if (req.url !== '/delay') return send(res, 404, { error: 'not found' });
  if (req.method === 'GET') return send(res, 200, { delayMs, diverted: await diverted() });
  if (req.method === 'DELETE') {
    await removeDiversion();
    delayMs = 0;
    log.info('DNS delay off');
    return send(res, 200, { delayMs });
  }
  if (req.method === 'PUT') {
    const parsed = delaySchema.safeParse(await body(req));
    if (!parsed.success)
      return send(res, 400, { error: `expected {"delayMs": 1-5000}: ${z.prettifyError(parsed.error)}` });
    delayMs = parsed.data.delayMs;
    await divertDns();
    log.info({ delayMs }, 'DNS delay on');
    return send(res, 200, { delayMs });
  }
  send(res, 405, { error: `${req.method} not allowed` });
}

createServer((req, res) => {
  handle(req, res).catch((err: Error) => send(res, 500, { error: err.message }));
}).listen(PORTS.dnsDelayAdmin, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    void removeDiversion()
      .catch((err: Error) => log.error({ err: err.message }, 'could not remove the DNS diversion'))
      .finally(() => process.exit(0));
  });
log.info(
  { listen: `${HOST_IP}:${PORTS.dnsDelay}` },
  'DNS delay proxy ready (not in front of CoreDNS until a delay is set)',
);
