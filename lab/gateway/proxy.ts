// Forwarding one request to a backend endpoint: new connection per request,
// the request body buffered (small) so a refused connection can be retried
// on another endpoint, and a per-request timeout answered with 504.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Endpoint } from '../endpoint-slices.ts';

export const BACKEND_TIMEOUT_MS = 1200;
const MAX_BODY = 1024 * 1024;

export async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface Forwarded {
  status: number;
  /** Why no backend answered (for counters), when it did not. */
  failure?: string;
}

function tryOnce(
  endpoint: Endpoint,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
): Promise<Forwarded | 'refused'> {
  return new Promise((done) => {
    const upstream = request(
      {
        host: endpoint.ip,
        port: endpoint.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'content-length': String(body.length), connection: 'close' },
        agent: false,
        timeout: BACKEND_TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          ...extraHeaders,
          'x-nightshift-upstream': `${endpoint.ip}:${endpoint.port}`,
        });
        answer.pipe(res);
        answer.on('end', () => done({ status: answer.statusCode ?? 502 }));
        answer.on('error', () => done({ status: 502, failure: 'reset' }));
      },
    );
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') return done('refused');
      if (res.headersSent) {
        res.destroy();
        return done({ status: 502, failure: err.code ?? 'error' });
      }
      const status = err.code === 'ETIMEDOUT' ? 504 : 502;
      res
        .writeHead(status, { 'content-type': 'text/plain', ...extraHeaders })
        .end(`upstream ${endpoint.ip}:${endpoint.port}: ${err.code ?? err.message}\n`);
      done({ status, failure: err.code ?? 'error' });
    });
    upstream.end(body);
  });
}

/** Forward to one of `endpoints` (random order), moving on only when a connection is refused. */
export async function forward(
  endpoints: readonly Endpoint[],
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
): Promise<Forwarded> {
  const order = [...endpoints].sort(() => Math.random() - 0.5);
  for (const endpoint of order) {
    const result = await tryOnce(endpoint, req, body, res, extraHeaders);
    if (result !== 'refused') return result;
  }
  res.writeHead(503, { 'content-type': 'text/plain', ...extraHeaders }).end('no healthy upstream\n');
  return { status: 503, failure: 'no-healthy-upstream' };
}
