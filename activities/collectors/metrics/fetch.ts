// A small HTTP(S) client for collectors: a hard timeout, an abort signal,
// optional client certificates (etcd with TLS), and the body as text.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsFiles {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server certificate checks (lab only). */
  insecure?: boolean;
}

export interface HttpOptions {
  method?: 'GET' | 'POST' | 'HEAD' | 'PATCH' | 'PUT';
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  tls?: TlsFiles;
  headers?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Thrown for a request that got no HTTP answer: refused, reset, timed out. */
export class Unreachable extends Error {
  readonly code: string;
  constructor(url: string, code: string, detail: string) {
    super(`${url} unreachable: ${detail}`);
    this.name = 'Unreachable';
    this.code = code;
  }
}

export function httpText(url: string, options: HttpOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.signal ? { signal: options.signal } : {}),
        ...(target.protocol === 'https:' ? tlsOptions(options.tls) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new Unreachable(url, 'ERESET', err.message)));
      },
    );
    req.setTimeout(Math.max(1, options.timeoutMs), () => {
      req.destroy(new Unreachable(url, 'ETIMEDOUT', `no answer within ${options.timeoutMs} ms`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(err instanceof Unreachable ? err : new Unreachable(url, err.code ?? 'EIO', err.code ?? err.message));
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

function tlsOptions(tls: TlsFiles | undefined): Record<string, unknown> {
  if (!tls) return {};
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.insecure ? { rejectUnauthorized: false } : {}),
  };
}
