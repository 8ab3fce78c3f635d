// cart-service (v1 stable, v2 canary): GET/POST /cart on PORT (80).
// VERSION tells which one this is; it is echoed so callers can count.
import { readBody, sendJson } from './lib/http.ts';
import { serveHttp } from './lib/service.ts';

const version = process.env.VERSION ?? 'v1';

const w = serveHttp(`cart-service-${version}`, {
  'GET /cart': async (_req, res) => {
    sendJson(res, 200, { items: [{ sku: 'espresso-beans', qty: 2, price: 1450 }], total: 2900, version, pod: w.pod });
  },
  'POST /cart': async (req, res) => {
    await readBody(req);
    sendJson(res, 200, { items: [{ sku: 'espresso-beans', qty: 2, price: 1450 }], total: 2900, version, pod: w.pod });
  },
});
