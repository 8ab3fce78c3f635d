// The lab's policy agent as a process (`lab up` starts it; it needs root):
//   NIGHTSHIFT_DATA_DIR=<data dir> node lab/policy/main.ts
// Loads the policy datapath under the lab's pin root, watches Pods,
// Namespaces, CiliumNetworkPolicies and NetworkPolicies on the lab API
// server and enforces them on every pod's host-side veth (agent.ts), with
// an L7 proxy in each pod whose ingress has HTTP rules (l7-proxies.ts).
// Serves on 127.0.0.1:PORTS.policy:
//   GET  /healthz     ok once the datapath is loaded and the first sync done
//   GET  /status      endpoints, attachments, entries, refused policies, warnings, datapath counters
//   POST /endpoints   a pod about to start (the simulator's CNI step); answers once it is enforced
import { createServer } from 'node:http';
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type KubernetesObject,
  type V1Namespace,
  type V1Pod,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { createLogger } from '../../worker/base.ts';
import { restartingInformer } from '../informer.ts';
import { loadKubeConfig } from '../k8s.ts';
import { labPaths } from '../paths.ts';
import { PORTS } from '../topology.ts';
import { startAgent } from './agent.ts';
import { loadDatapath } from './datapath.ts';
import { labPolicyFiles } from './lab-files.ts';
import { podEndpointSchema } from './view.ts';

const env = z
  .object({ NIGHTSHIFT_DATA_DIR: z.string().min(1), LOG_LEVEL: z.string().default('info') })
  .parse(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-policy', destination: process.stdout });
const paths = labPaths(env.NIGHTSHIFT_DATA_DIR);
const files = labPolicyFiles(paths.root);
const kc = loadKubeConfig(paths.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const listSchema = z
  .object({
    metadata: z.object({ resourceVersion: z.string().optional() }).loose(),
    items: z.array(z.object({}).loose()),
  })
  .loose();
/** An informer over raw JSON of any group's kind (watch events are raw JSON too). */
function rawInformer(group: string, version: string, plural: string) {
  return makeInformer<KubernetesObject>(kc, `/apis/${group}/${version}/${plural}`, async () =>
    listSchema.parse(await custom.listClusterCustomObject({ group, version, plural })),
  );
}

const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
const namespaces = makeInformer<V1Namespace>(kc, '/api/v1/namespaces', () => core.listNamespace());
const cnps = rawInformer('cilium.io', 'v2', 'ciliumnetworkpolicies');
const nps = rawInformer('networking.k8s.io', 'v1', 'networkpolicies');

const datapath = await loadDatapath({ buildDir: files.buildDir, pins: files.pins, replace: true });
const agent = startAgent({
  datapath,
  sources: {
    pods: () => [...pods.list()],
    namespaces: () => [...namespaces.list()],
    // List items of a built-in kind carry no kind; the informer's own type says what they are.
    policies: () => [
      ...cnps.list().map((p) => ({ ...p, apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy' })),
      ...nps.list().map((p) => ({ ...p, apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' })),
    ],
  },
  identitiesFile: files.identities,
  l7Dir: files.l7Dir,
  log: (message, fields) => log.info(fields ?? {}, message),
});
const changed = () => void agent.sync().catch(() => undefined);
for (const informer of [pods, namespaces, cnps, nps] as const)
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, changed);

let ready = false;
let informersSynced: () => void = () => undefined;
const synced = new Promise<void>((resolve) => (informersSynced = resolve));
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'starting\n');
  } else if (req.method === 'GET' && req.url === '/status') {
    void datapath
      .stats()
      .catch(() => undefined)
      .then((stats) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...agent.status(), stats })),
      );
  } else if (req.method === 'POST' && req.url === '/endpoints') {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      let parsed;
      try {
        parsed = podEndpointSchema.safeParse(JSON.parse(body));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) return void res.writeHead(400).end('expected a pod endpoint\n');
      const endpoint = parsed.data;
      // Only with the cluster's policies known is the pod enforced as it should be.
      synced
        .then(() => agent.announce(endpoint))
        .then(() => res.writeHead(204).end())
        .catch((err: unknown) => res.writeHead(500).end(`${(err as Error).message}\n`));
    });
  } else {
    res.writeHead(404).end();
  }
});
server.listen(PORTS.policy, '127.0.0.1');

await Promise.all([
  restartingInformer(pods, 'pods', log),
  restartingInformer(namespaces, 'namespaces', log),
  restartingInformer(cnps, 'ciliumnetworkpolicies', log),
  restartingInformer(nps, 'networkpolicies', log),
]);
informersSynced();
await agent.sync();
ready = true;
log.info({ port: PORTS.policy, pins: files.pins }, 'policy agent running');

const stop = async () => {
  server.close();
  // Stop the L7 proxies and remove their tables, detach from every veth and remove the pins; `lab down`
  // removes the pin root, and the pods' namespaces with their proxies and tables, should this not run.
  await agent.stop().catch((err: unknown) => log.warn({ err }, 'stop failed'));
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
