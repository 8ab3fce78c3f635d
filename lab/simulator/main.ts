// The node simulator process (`lab/simulator/main.ts`): registers the three
// lab nodes, binds pending pods, runs bound pods in network namespaces, and
// serves its view on 127.0.0.1 (`/healthz`, `/pods`). Started by `lab up`.
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, makeInformer, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { createLogger } from '../../worker/base.ts';
import { loadKubeConfig } from '../k8s.ts';
import { labPaths } from '../paths.ts';
import { isAlive } from '../procs.ts';
import { PORTS } from '../topology.ts';
import { Binder } from './binder.ts';
import { Kubelet } from './kubelet.ts';
import { Ledger, readLedger } from './ledger.ts';
import { NodeProbers } from './node-probers.ts';
import { HEARTBEAT_MS, registerNodes, renewLeases } from './nodes.ts';
import { destroyPodNetwork } from './podnet.ts';
import { restartingInformer } from '../informer.ts';
import { announceEndpoint } from '../policy/index.ts';

const env = z
  .object({ NIGHTSHIFT_DATA_DIR: z.string().min(1), LOG_LEVEL: z.string().default('info') })
  .parse(process.env);
const paths = labPaths(env.NIGHTSHIFT_DATA_DIR);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-simulator', destination: process.stdout });

// Pods left by an earlier simulator: their processes are not our children, so start them afresh.
// A hostNetwork pod's namespace is its node's: only its processes go.
const kubeletDir = join(paths.root, 'kubelet');
for (const stale of readLedger(paths.pods)) {
  for (const p of stale.processes) if (isAlive(p.pid, p.startTime)) process.kill(p.pid, 'SIGKILL');
  if (!stale.hostNetwork) await destroyPodNetwork(stale.netns);
  rmSync(join(kubeletDir, stale.uid), { recursive: true, force: true });
}

const kc = loadKubeConfig(paths.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
const ledger = new Ledger(paths.pods);
const since = new Date();

await registerNodes(core, since);
await renewLeases(coordination);
setInterval(
  () => void renewLeases(coordination).catch((err: unknown) => log.warn({ err }, 'lease renewal failed')),
  HEARTBEAT_MS,
);
setInterval(
  () => void registerNodes(core, since).catch((err: unknown) => log.warn({ err }, 'node status failed')),
  60_000,
);

const nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
const probers = new NodeProbers(log);
const kubelet = new Kubelet({
  core,
  probers,
  ledger,
  podLogs: paths.podLogs,
  kubeletDir,
  log,
  announce: announceEndpoint,
});
const binder = new Binder({ core, log, pods: () => pods.list(), nodes: () => nodes.list() });

const onPod = (pod: V1Pod) => {
  binder.observed(pod);
  if (pod.spec?.nodeName) kubelet.sync(pod);
  else binder.consider(pod);
};
pods.on('add', onPod);
pods.on('update', onPod);
pods.on('delete', (pod) => kubelet.forget(pod));

await restartingInformer(nodes, 'nodes', log);
await restartingInformer(pods, 'pods', log);

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (req.url === '/pods') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pods: ledger.all() }));
  } else {
    res.writeHead(404).end();
  }
});
server.listen(PORTS.simulator, '127.0.0.1');
log.info({ port: PORTS.simulator }, 'node simulator running');

const stop = () => {
  log.info('stopping (pods keep running until lab down)');
  probers.stop();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
