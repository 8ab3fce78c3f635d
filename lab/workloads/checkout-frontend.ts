// checkout-frontend: GET / and POST /checkout on PORT (8080). A checkout
// reads the cart through the lab gateway (CART_URL, Host CART_HOST, routed
// by the store-traffic-split HTTPRoute) and charges through payment-processor.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { call, CallError } from './lib/client.ts';
import { readBody, sendJson } from './lib/http.ts';
import { serveHttp } from './lib/service.ts';

const CART_URL = process.env.CART_URL ?? 'http://external-gateway.production.svc.cluster.local/cart';
const CART_HOST = process.env.CART_HOST ?? 'shop.example.test';
const PAYMENT_URL = process.env.PAYMENT_URL ?? 'http://payment-processor.finance.svc.cluster.local:8080/v1/charge';
const TIMEOUT_MS = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 1500);

const cartSchema = z.object({ total: z.number().nonnegative() });

function cartTotal(body: string): number | undefined {
  try {
    return cartSchema.parse(JSON.parse(body)).total;
  } catch {
    return undefined;
  }
}

function failed(step: string, err: unknown) {
  return { error: `${step}: ${(err as Error).message}`, step, kind: err instanceof CallError ? err.kind : 'error' };
}

const w = serveHttp('checkout-frontend', {
  'GET /': async (_req, res) => sendJson(res, 200, { service: 'checkout-frontend', pod: w.pod }),
  'POST /checkout': async (req, res) => {
    await readBody(req);
    const order = randomUUID();
    let cart;
    try {
      cart = await call(CART_URL, { method: 'POST', host: CART_HOST, body: { order }, timeoutMs: TIMEOUT_MS });
    } catch (err) {
      return sendJson(res, 502, { ...failed('cart', err), pod: w.pod });
    }
    const backend = String(cart.headers['x-nightshift-backend'] ?? 'unknown');
    if (cart.status !== 200) {
      return sendJson(res, 502, { error: `cart answered ${cart.status}`, step: 'cart', backend, pod: w.pod });
    }
    const total = cartTotal(cart.body);
    if (total === undefined) {
      return sendJson(res, 502, { error: 'cart answered without a total', step: 'cart', backend, pod: w.pod });
    }
    try {
      const payment = await call(PAYMENT_URL, {
        method: 'POST',
        body: { order, amount: total },
        timeoutMs: TIMEOUT_MS,
      });
      if (payment.status !== 200) {
        return sendJson(res, 502, {
          error: `payment answered ${payment.status}`,
          step: 'payment',
          backend,
          pod: w.pod,
        });
      }
    } catch (err) {
      return sendJson(res, 502, { ...failed('payment', err), backend, pod: w.pod });
    }
    sendJson(res, 200, { order, total, cartBackend: backend, pod: w.pod });
  },
});
