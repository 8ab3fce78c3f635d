// The lab's ingress to nightshift's gateway: what Slack (the stand-in) and
// Alertmanager reach the gateway pods through, as a cluster's Ingress or
// Service does. It listens on the host's loopback and pipes each connection
// to a ready endpoint of the gateway's Service (its EndpointSlices, in
// turn), so a gateway pod that is replaced, with a new IP, is followed at
// once. No endpoint ready: the connection is closed, as a Service without
// endpoints refuses it.
import { createServer, type Socket } from 'node:net';
import { createLogger } from '../../worker/base.ts';
import { EndpointSlices } from '../endpoint-slices.ts';
import { loadKubeConfig } from '../k8s.ts';
import { labPaths } from '../paths.ts';
import { splice } from '../relay/index.ts';
import { parseIngressEnv } from './env.ts';

const env = parseIngressEnv(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'gateway-ingress', destination: process.stdout });
const { namespace, name } = env.NIGHTSHIFT_INGRESS_SERVICE;
const slices = new EndpointSlices(loadKubeConfig(labPaths(env.NIGHTSHIFT_DATA_DIR).kubeconfig));
await slices.start(log);

let turn = 0;
function pipe(client: Socket): void {
  const ready = slices.ready(namespace, name, 'http');
  const to = ready[turn++ % Math.max(ready.length, 1)];
  if (!to) {
    log.warn({ service: `${namespace}/${name}` }, 'no ready endpoint: connection closed');
    client.destroy();
    return;
  }
  splice(client, { host: to.ip, port: to.port });
}

const server = createServer(pipe);
await new Promise<void>((done, fail) => {
  server.once('error', fail);
  server.listen(env.NIGHTSHIFT_INGRESS_LISTEN.port, env.NIGHTSHIFT_INGRESS_LISTEN.host, () => done());
});
log.info({ listen: env.NIGHTSHIFT_INGRESS_LISTEN, service: `${namespace}/${name}` }, 'ingress to the gateway ready');
const stop = () => {
  server.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
