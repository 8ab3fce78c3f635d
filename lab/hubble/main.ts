// The lab's Hubble Relay stand-in as a process:
//   NIGHTSHIFT_DATA_DIR=<data dir> node lab/hubble/main.ts
// Listens on NIGHTSHIFT_HUBBLE_LISTEN (127.0.0.1:4245, Hubble Relay's port),
// reads the lab's Kubernetes API for endpoint names, and is fed by flowtap,
// the policy datapath's drops and the L7 proxies' requests.
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import { createLogger } from '../../worker/base.ts';
import { loadKubeConfig } from '../k8s.ts';
import { BPF_PIN_ROOT, labPaths } from '../paths.ts';
import { KubeEndpoints } from './endpoints.ts';
import { startObserverServer } from './server.ts';
import { FlowStore } from './store.ts';
import { startFlowTap } from './tap.ts';
import { feedL7 } from './l7-feed.ts';
import { feedPolicyDrops, identitiesFrom, localContext } from './policy-drops.ts';
import { labPolicyFiles } from '../policy/index.ts';

const env = z
  .object({
    NIGHTSHIFT_DATA_DIR: z.string().min(1),
    NIGHTSHIFT_HUBBLE_LISTEN: z
      .string()
      .regex(/^[^\s]+:\d+$/)
      .default('127.0.0.1:4245'),
    LOG_LEVEL: z.string().default('info'),
  })
  .parse(process.env);
const log = createLogger({ level: env.LOG_LEVEL, name: 'lab-hubble', destination: process.stdout });
const paths = labPaths(env.NIGHTSHIFT_DATA_DIR);
const kc = loadKubeConfig(paths.kubeconfig);
const store = new FlowStore();
const endpoints = new KubeEndpoints(kc.makeApiClient(CoreV1Api), kc.makeApiClient(DiscoveryV1Api));
const policyFiles = labPolicyFiles(paths.root);
// The L7 proxies' requests, as Hubble shows Cilium's proxy's; flowtap leaves those connections' L7 to them.
const l7 = feedL7({
  dir: policyFiles.l7Dir,
  store,
  context: localContext(endpoints, identitiesFrom(policyFiles.identities)),
  onError: (err) => log.warn({ err }, 'l7 events'),
});
const tap = await startFlowTap({
  endpoints,
  store,
  buildDir: join(paths.root, 'build'),
  // Under the lab's pin root, so `lab down` removes whatever a crash left behind.
  pins: join(BPF_PIN_ROOT, 'flowtap'),
  log: (message, fields) => log.info(fields ?? {}, message),
  l7Proxied: l7.proxied,
});
// Policy drops, as Cilium reports them: read from the ring buffer the policy agent pinned (lab up starts the
// agent, and waits for it, before this process).
const stopDrops = await feedPolicyDrops({ files: policyFiles, endpoints, store, log });
const server = await startObserverServer(store, env.NIGHTSHIFT_HUBBLE_LISTEN);
log.info({ listen: server.address, attached: tap.attached().length }, 'hubble relay stand-in running');

const stop = async () => {
  await server.stop();
  stopDrops();
  l7.stop();
  await tap.stop({ unload: true });
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
