// The host relay: the lab's loopback servers (Temporal's frontend, the Hubble
// Relay stand-in, Prometheus, the probe, the Slack stand-in) made reachable
// from pods at the host's fabric address, as a cluster reaches its services
// by an address every pod can route to. Each listed port on 127.0.0.1 gets a
// listener on HOST_IP with the same port that pipes each connection through
// (TCP only; gRPC and HTTP alike). Host clients keep using 127.0.0.1.
import { createServer, type Server } from 'node:net';
import { HOST_IP } from '../topology.ts';
import { parseRelayPorts, RELAY_HOST_ENV, RELAY_PORTS_ENV } from './ports.ts';
import { splice } from './splice.ts';

/** Where it listens: the host's fabric address (another loopback address in its own test). */
const host = process.env[RELAY_HOST_ENV] ?? HOST_IP;

function listen(port: number): Promise<Server> {
  return new Promise((done, fail) => {
    const server = createServer((client) => splice(client, { host: '127.0.0.1', port }));
    server.once('error', fail);
    server.listen(port, host, () => done(server));
  });
}

const ports = parseRelayPorts(process.env[RELAY_PORTS_ENV]);
const servers = await Promise.all(ports.map(listen));
console.log(`relaying ${host}:{${ports.join(',')}} to 127.0.0.1`);
const stop = () => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
