// The world outside the cluster, as far as the shop needs it: a stand-in for
// the payment API at api.stripe.com (CoreDNS answers that name with
// OUTSIDE_IP). POST /v1/charges answers like a successful charge.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export function startOutside(host: string, port: number): Server {
  const server = createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && req.url === '/v1/charges') {
      const body = JSON.stringify({
        id: `ch_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        object: 'charge',
        status: 'succeeded',
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"Unrecognized request URL"}}');
  });
  server.listen(port, host);
  return server;
}
