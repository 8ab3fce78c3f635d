// Public face of the lab's Hubble Relay stand-in: the server, its store and
// feed, and how the lab starts it as a process.
import { fileURLToPath } from 'node:url';
import { COREDNS_METRICS_URL } from '../control-plane/coredns.ts';
import { labPaths } from '../paths.ts';
import { DNS_IP, ETCD_MEMBERS, PROBE_URL, PROMETHEUS_URL } from '../topology.ts';

export { KubeEndpoints, identityOf, type EndpointInfo, type EndpointSource, type PodNetns } from './endpoints.ts';
export { matches as flowMatches, selected as flowSelected, type FlowFilter } from './filter.ts';
export { delta, toFlows, type FlowMessage } from './flows.ts';
export { FlowtapError, helperBinary } from './helper.ts';
export { serializeResponse, startObserverServer, type ObserverServer } from './server.ts';
export { FlowStore } from './store.ts';
export { startFlowTap, type FlowTap, type TapOptions } from './tap.ts';

/** Where the stand-in listens: Hubble Relay's port, on loopback. */
export const HUBBLE_RELAY_ADDRESS = '127.0.0.1:4245';

/** How the lab spawns the stand-in (it needs root for BPF and nsenter). */
export function hubbleStandinSpawn(dataDir: string): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: ['--no-warnings', fileURLToPath(new URL('./main.ts', import.meta.url))],
    env: { NIGHTSHIFT_DATA_DIR: dataDir, NIGHTSHIFT_HUBBLE_LISTEN: HUBBLE_RELAY_ADDRESS },
  };
}

/**
 * The environment a control worker needs to gather the lab's evidence
 * (activities/collectors/environment.ts reads it): the worker's kubeconfig, this
 * stand-in, the etcd members, cluster DNS and CoreDNS metrics, the probe.
 */
export function labEvidenceEnv(dataDir: string): Record<string, string> {
  return {
    // nightshift's permissions as its chart grants them, not the lab admin's (lab/chart.ts).
    KUBECONFIG: labPaths(dataDir).workerKubeconfig,
    NIGHTSHIFT_HUBBLE_RELAY: HUBBLE_RELAY_ADDRESS,
    NIGHTSHIFT_ETCD_ENDPOINTS: ETCD_MEMBERS.map((m) => m.clientUrl).join(','),
    NIGHTSHIFT_CLUSTER_DNS: DNS_IP,
    NIGHTSHIFT_COREDNS_METRICS: COREDNS_METRICS_URL,
    NIGHTSHIFT_PROBE_URL: PROBE_URL,
    NIGHTSHIFT_PROMETHEUS_URL: PROMETHEUS_URL,
  };
}
