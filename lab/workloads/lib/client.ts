// Calls between lab workloads: resolve the name through the pod's resolver
// (getaddrinfo, so resolv.conf, search path and ndots apply and DNS faults
// bite), pick one of the addresses at random, new connection per call, and
// try another address when connecting fails.
import { lookup } from 'node:dns/promises';
import { request } from 'node:http';

export class CallError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'CallError';
    this.kind = kind;
  }
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  host?: string;
  timeoutMs: number;
}

function once(address: string, url: URL, options: CallOptions, deadline: number): Promise<CallResult> {
  return new Promise((done, fail) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      {
        host: address,
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        agent: false,
        timeout: Math.max(1, deadline - Date.now()),
        headers: {
          host: options.host ?? url.host,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', (err) => fail(new CallError('reset', err.message)));
      },
    );
    req.on('timeout', () => req.destroy(new CallError('timeout', `timeout calling ${url.host}`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(
        err instanceof CallError ? err : new CallError(err.code ?? 'error', `${err.code ?? ''} ${err.message}`.trim()),
      ),
    );
    req.end(payload);
  });
}

const RETRYABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

export async function call(target: string, options: CallOptions): Promise<CallResult> {
  const url = new URL(target);
  const deadline = Date.now() + options.timeoutMs;
  let addresses: string[];
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(url.hostname, { family: 4, all: true }),
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new CallError('dns-timeout', `DNS lookup of ${url.hostname} timed out`)),
          options.timeoutMs,
        );
      }),
    ]);
    addresses = found.map((a) => a.address);
  } catch (err) {
    if (err instanceof CallError) throw err;
    throw new CallError(
      'dns',
      `cannot resolve ${url.hostname}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  } finally {
    clearTimeout(timer);
  }
  const order = [...addresses].sort(() => Math.random() - 0.5);
  let last: unknown;
  for (const address of order) {
    try {
      return await once(address, url, options, deadline);
    } catch (err) {
      last = err;
      if (!(err instanceof CallError) || !RETRYABLE.has(err.kind) || Date.now() >= deadline) throw err;
    }
  }
  throw last instanceof Error ? last : new CallError('error', `no address for ${url.hostname}`);
}
