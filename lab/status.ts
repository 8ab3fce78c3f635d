// `lab status`: what the lab runs, where, and how healthy it is. Built from
// the state file, the simulator's pod ledger and (when it answers) the API
// server. The JSON shape is documented in docs/lab.md.
import { CoreV1Api } from '@kubernetes/client-node';
import { resolve } from 'node:path';
import { COREDNS_METRICS_URL } from './control-plane/index.ts';
import { checkHealth } from './health.ts';
import { loadKubeConfig } from './k8s.ts';
import { labPaths } from './paths.ts';
import { isAlive } from './procs.ts';
import { readLedger } from './simulator/index.ts';
import { readState } from './state.ts';
import {
  APISERVER_URL,
  CLUSTER_CIDR,
  DNS_IP,
  ETCD_MEMBERS,
  FABRIC_BRIDGE,
  GATEWAY_URL,
  HOST_IP,
  NODES,
  OUTSIDE_IP,
  PORTS,
  PROBE_URL,
  SERVICE_CIDR,
  PROMETHEUS_URL,
  ALERTMANAGER_URL,
} from './topology.ts';

export interface ProcessStatus {
  name: string;
  pid: number;
  alive: boolean;
  healthy: boolean;
  netns?: string;
  log: string;
}

export interface PodStatus {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  netns: string;
  hostInterface: string;
  nodeNetns: string;
  phase?: string;
  ready?: boolean;
}

async function apiPods(kubeconfig: string): Promise<Map<string, { phase?: string; ready?: boolean }>> {
  const out = new Map<string, { phase?: string; ready?: boolean }>();
  try {
    const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
    const list = await core.listPodForAllNamespaces({ timeoutSeconds: 3 });
    for (const pod of list.items) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      out.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, {
        ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
        ready,
      });
    }
  } catch {
    // API server down: the ledger alone says where pods are
  }
  return out;
}

export const ENDPOINTS = {
  apiserver: APISERVER_URL,
  etcd: ETCD_MEMBERS.map((m) => ({
    name: m.name,
    client: m.clientUrl,
    peer: m.peerUrl,
    health: `${m.clientUrl}/health`,
    metrics: `${m.clientUrl}/metrics`,
  })),
  coredns: {
    dns: `${DNS_IP}:${PORTS.dns}`,
    metrics: COREDNS_METRICS_URL,
    health: `http://${HOST_IP}:${PORTS.dnsHealth}/health`,
    ready: `http://${HOST_IP}:${PORTS.dnsReady}/ready`,
  },
  probe: PROBE_URL,
  gateway: GATEWAY_URL,
  gatewayAdmin: `http://127.0.0.1:${PORTS.gatewayAdmin}`,
  outside: `http://${OUTSIDE_IP}:${PORTS.outside}`,
  simulator: `http://127.0.0.1:${PORTS.simulator}`,
  policy: `http://127.0.0.1:${PORTS.policy}`,
  prometheus: PROMETHEUS_URL,
  alertmanager: ALERTMANAGER_URL,
};

export async function labStatus(dataDir: string) {
  const paths = labPaths(resolve(dataDir));
  const state = readState(paths.state);
  if (!state) return { up: false as const, labDir: paths.root, kubeconfig: paths.kubeconfig };
  const processes: ProcessStatus[] = await Promise.all(
    state.processes.map(async (p) => {
      const alive = isAlive(p.pid, p.startTime);
      return {
        name: p.name,
        pid: p.pid,
        alive,
        healthy: alive && (await checkHealth(p.health)),
        ...(p.netns ? { netns: p.netns } : {}),
        log: p.log,
      };
    }),
  );
  const fromApi = await apiPods(paths.kubeconfig);
  const pods: PodStatus[] = readLedger(paths.pods).map((pod) => ({
    namespace: pod.namespace,
    name: pod.name,
    node: pod.node,
    ip: pod.ip,
    netns: pod.netns,
    hostInterface: pod.hostVeth,
    nodeNetns: pod.nodeNetns,
    ...fromApi.get(`${pod.namespace}/${pod.name}`),
  }));
  return {
    up: state.phase === 'up' && processes.every((p) => p.alive),
    phase: state.phase,
    healthy: state.phase === 'up' && processes.every((p) => p.healthy),
    labDir: paths.root,
    kubeconfig: paths.kubeconfig,
    startedAt: state.startedAt,
    ...(state.upAt ? { upAt: state.upAt } : {}),
    temporal: state.temporal,
    chart: state.chart,
    network: {
      fabricBridge: FABRIC_BRIDGE,
      hostIp: HOST_IP,
      clusterCidr: CLUSTER_CIDR,
      serviceCidr: SERVICE_CIDR,
      dnsIp: DNS_IP,
    },
    nodes: NODES.map((n) => ({
      name: n.name,
      netns: n.netns,
      ip: n.ip,
      podCidr: n.podCidr,
      uplink: 'eth0',
      hostLink: n.hostLink,
    })),
    etcd: ETCD_MEMBERS.map((m) => ({
      name: m.name,
      netns: m.netns,
      ip: m.ip,
      hostLink: m.hostLink,
      clientUrl: m.clientUrl,
      peerUrl: m.peerUrl,
    })),
    processes,
    pods,
    endpoints: { ...ENDPOINTS, temporal: state.temporal.address },
    missingOptional: state.missingOptional,
    notes: state.notes,
    steps: state.steps,
  };
}

export type LabStatus = Awaited<ReturnType<typeof labStatus>>;
