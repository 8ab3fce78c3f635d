// Where the evidence clients come from when the worker is not handed them:
// the environment, read once, validated as a whole, every problem in one
// message. Clients are made lazily, so a missing or broken one becomes a
// finding of the collector that needs it, never a worker that cannot start.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { z } from 'zod';
import { FilePolicyHistory, type PolicyHistory } from '../actions/history.ts';
import { createHubbleClient, type HubbleClient } from '../hubble/client.ts';
import { createEtcdClient } from './etcd/client.ts';
import type { EtcdDeps } from './etcd/collector.ts';
import { kubeAccessMissing, kubeFromConfig, type Kube } from './kubernetes/client.ts';
import type { KubeSource } from './kubernetes/collector.ts';
import { ScrapeMemory } from './metrics/memory.ts';

export interface EvidenceDeps {
  kube?: KubeSource;
  hubble?: HubbleClient;
  etcd?: EtcdDeps;
  dns?: { servers?: string[]; metrics?: string[] };
  probeUrl?: string;
  /** The cluster's Prometheus HTTP API: the `prometheus` SLI source, the `promql` probe, the `metrics` collector. */
  prometheusUrl?: string;
  policyHistory?: PolicyHistory;
}

const list = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
  );

export const evidenceEnvSchema = z.object({
  KUBECONFIG: z.string().optional(),
  /** host:port of Hubble Relay (4245 by default in Cilium). */
  NIGHTSHIFT_HUBBLE_RELAY: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .optional(),
  NIGHTSHIFT_HUBBLE_TLS_CA: z.string().optional(),
  NIGHTSHIFT_ETCD_ENDPOINTS: list,
  NIGHTSHIFT_ETCD_CA: z.string().optional(),
  NIGHTSHIFT_ETCD_CERT: z.string().optional(),
  NIGHTSHIFT_ETCD_KEY: z.string().optional(),
  NIGHTSHIFT_CLUSTER_DNS: list,
  NIGHTSHIFT_COREDNS_METRICS: list,
  NIGHTSHIFT_PROBE_URL: z.url().optional(),
  NIGHTSHIFT_PROMETHEUS_URL: z.url().optional(),
  NIGHTSHIFT_DATA_DIR: z.string().default('.nightshift'),
});

export class EvidenceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceConfigError';
  }
}

/** Clients for the evidence collectors and actions, from the environment. */
export function evidenceDepsFromEnv(env: NodeJS.ProcessEnv = process.env): EvidenceDeps {
  const parsed = evidenceEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new EvidenceConfigError(
      `invalid evidence configuration:\n  - ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('\n  - ')}`,
    );
  }
  const e = parsed.data;
  let kube: Kube | undefined;
  const etcdTls =
    e.NIGHTSHIFT_ETCD_CA || e.NIGHTSHIFT_ETCD_CERT
      ? {
          ...(e.NIGHTSHIFT_ETCD_CA ? { ca: readFileSync(e.NIGHTSHIFT_ETCD_CA) } : {}),
          ...(e.NIGHTSHIFT_ETCD_CERT ? { cert: readFileSync(e.NIGHTSHIFT_ETCD_CERT) } : {}),
          ...(e.NIGHTSHIFT_ETCD_KEY ? { key: readFileSync(e.NIGHTSHIFT_ETCD_KEY) } : {}),
        }
      : undefined;
  const hubbleCreds = e.NIGHTSHIFT_HUBBLE_TLS_CA
    ? credentials.createSsl(readFileSync(e.NIGHTSHIFT_HUBBLE_TLS_CA))
    : undefined;
  return {
    // Made on first use: loadFromDefault also finds in-cluster credentials.
    kube: () => (kube ??= kubeFromConfig(e.KUBECONFIG)),
    ...(e.NIGHTSHIFT_HUBBLE_RELAY ? { hubble: createHubbleClient(e.NIGHTSHIFT_HUBBLE_RELAY, hubbleCreds) } : {}),
    ...(e.NIGHTSHIFT_ETCD_ENDPOINTS
      ? {
          etcd: {
            client: createEtcdClient(etcdTls),
            endpoints: e.NIGHTSHIFT_ETCD_ENDPOINTS,
            memory: new ScrapeMemory(),
          },
        }
      : {}),
    dns: {
      ...(e.NIGHTSHIFT_CLUSTER_DNS ? { servers: e.NIGHTSHIFT_CLUSTER_DNS } : {}),
      ...(e.NIGHTSHIFT_COREDNS_METRICS ? { metrics: e.NIGHTSHIFT_COREDNS_METRICS } : {}),
    },
    ...(e.NIGHTSHIFT_PROBE_URL ? { probeUrl: e.NIGHTSHIFT_PROBE_URL } : {}),
    ...(e.NIGHTSHIFT_PROMETHEUS_URL ? { prometheusUrl: e.NIGHTSHIFT_PROMETHEUS_URL } : {}),
    policyHistory: new FilePolicyHistory(join(resolve(e.NIGHTSHIFT_DATA_DIR), 'policy-history')),
  };
}

/** One evidence source: whether this process has it, and where from or which setting would give it. */
export interface EvidenceSource {
  source: string;
  collectors: string;
  have: boolean;
  detail: string;
}

/** Which evidence sources the environment gives, and what to set for each missing one. */
export function evidenceSources(env: NodeJS.ProcessEnv = process.env): EvidenceSource[] {
  const kubeMissing =
    env.KUBECONFIG && !existsSync(env.KUBECONFIG)
      ? `KUBECONFIG names ${env.KUBECONFIG}, which does not exist`
      : kubeAccessMissing(env);
  const kubeFrom = env.KUBECONFIG
    ? `KUBECONFIG=${env.KUBECONFIG}`
    : env.KUBERNETES_SERVICE_HOST
      ? 'in-cluster service account'
      : '~/.kube/config';
  const set = (name: string, value: string | undefined, missing: string): Pick<EvidenceSource, 'have' | 'detail'> =>
    value ? { have: true, detail: `${name}=${value}` } : { have: false, detail: missing };
  return [
    {
      source: 'Kubernetes API',
      collectors: 'kubernetes, node-network, dns targets, actions',
      have: !kubeMissing,
      detail: kubeMissing ?? kubeFrom,
    },
    {
      source: 'Hubble Relay',
      collectors: 'flows',
      ...set('NIGHTSHIFT_HUBBLE_RELAY', env.NIGHTSHIFT_HUBBLE_RELAY, 'set NIGHTSHIFT_HUBBLE_RELAY=host:4245'),
    },
    {
      source: 'etcd',
      collectors: 'etcd',
      ...(!env.NIGHTSHIFT_ETCD_ENDPOINTS && env.NIGHTSHIFT_PROMETHEUS_URL
        ? {
            have: true,
            detail: `the members' figures through Prometheus (NIGHTSHIFT_PROMETHEUS_URL); no health or raft status`,
          }
        : set(
            'NIGHTSHIFT_ETCD_ENDPOINTS',
            env.NIGHTSHIFT_ETCD_ENDPOINTS,
            'set NIGHTSHIFT_ETCD_ENDPOINTS=https://host:2379,... (or NIGHTSHIFT_PROMETHEUS_URL for the figures through Prometheus)',
          )),
    },
    {
      source: 'cluster DNS',
      collectors: 'dns',
      ...(env.NIGHTSHIFT_CLUSTER_DNS
        ? { have: true, detail: `NIGHTSHIFT_CLUSTER_DNS=${env.NIGHTSHIFT_CLUSTER_DNS}` }
        : !kubeMissing
          ? { have: true, detail: 'the kube-system/kube-dns Service, read through the Kubernetes API' }
          : { have: false, detail: 'set NIGHTSHIFT_CLUSTER_DNS=ip,... (or give Kubernetes access)' }),
    },
    {
      source: 'CoreDNS metrics',
      collectors: 'dns',
      ...set(
        'NIGHTSHIFT_COREDNS_METRICS',
        env.NIGHTSHIFT_COREDNS_METRICS,
        'set NIGHTSHIFT_COREDNS_METRICS=http://host:9153/metrics',
      ),
    },
    {
      source: 'traffic probe',
      collectors: 'probe (the symptom), verify',
      ...set(
        'NIGHTSHIFT_PROBE_URL',
        env.NIGHTSHIFT_PROBE_URL,
        'set NIGHTSHIFT_PROBE_URL=http://probe (the lab probe as an SLI source)',
      ),
    },
    {
      source: 'Prometheus',
      collectors: 'probe (the symptom, source prometheus), verify (sli, promql), metrics',
      ...set(
        'NIGHTSHIFT_PROMETHEUS_URL',
        env.NIGHTSHIFT_PROMETHEUS_URL,
        'set NIGHTSHIFT_PROMETHEUS_URL=http://prometheus:9090 (without it the symptom is unknown)',
      ),
    },
  ];
}
