// payment-processor: POST /v1/charge on PORT (8080). Pings postgres-db
// (DB_HOST:DB_PORT) and calls the external payment API (PAYMENT_API_URL,
// api.stripe.com by FQDN, answered in the lab by the "outside" stand-in).
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { z } from 'zod';
import { call, CallError } from './lib/client.ts';
import { readBody, sendJson } from './lib/http.ts';
import { serveHttp } from './lib/service.ts';

const DB_HOST = process.env.DB_HOST ?? 'postgres-db.finance.svc.cluster.local';
const DB_PORT = Number(process.env.DB_PORT ?? 5432);
const PAYMENT_API_URL = process.env.PAYMENT_API_URL ?? 'http://api.stripe.com/v1/charges';
const TIMEOUT_MS = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 1500);

const chargeSchema = z.object({ order: z.string().optional(), amount: z.number().nonnegative().optional() });

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return undefined;
  }
}

async function pingDb(): Promise<void> {
  const [address] = await lookup(DB_HOST, { family: 4, all: true });
  if (!address) throw new CallError('dns', `no address for ${DB_HOST}`);
  await new Promise<void>((done, fail) => {
    const socket = connect({ host: address.address, port: DB_PORT, timeout: TIMEOUT_MS });
    socket.once('connect', () => socket.write('PING\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString().startsWith('PONG')) done();
      else fail(new CallError('db', `postgres-db answered ${data.toString().trim()}`));
    });
    socket.once('timeout', () => {
      socket.destroy();
      fail(new CallError('timeout', 'postgres-db timed out'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(new CallError(err.code ?? 'error', `postgres-db: ${err.message}`)),
    );
  });
}

const w = serveHttp('payment-processor', {
  'POST /v1/charge': async (req, res) => {
    const request = chargeSchema.safeParse(parseJson(await readBody(req)));
    if (!request.success)
      return sendJson(res, 400, { error: 'expected {"order"?: string, "amount"?: number}', pod: w.pod });
    try {
      await pingDb();
      const charge = await call(PAYMENT_API_URL, { method: 'POST', body: request.data, timeoutMs: TIMEOUT_MS });
      if (charge.status !== 200) {
        return sendJson(res, 502, { error: `payment API answered ${charge.status}`, pod: w.pod });
      }
      sendJson(res, 200, { charged: true, charge: parseJson(charge.body), pod: w.pod });
    } catch (err) {
      const kind = err instanceof CallError ? err.kind : 'error';
      sendJson(res, 502, { error: (err as Error).message, kind, pod: w.pod });
    }
  },
});
