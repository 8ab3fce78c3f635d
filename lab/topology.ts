// The lab's fixed layout: names, addresses, CIDRs and ports. Every other lab
// file takes these from here, so the map in docs/lab.md has one source.
//
//   host (root netns)
//     nslab0 bridge 10.200.0.1/24 (+ 10.96.0.10 cluster DNS, 10.200.0.100 "outside")
//       ├─ nslab-node1 ─ veth ─ eth0 10.200.0.11  [nightshift-lab-node-1]  cbr0 10.244.1.1/24 ─ pods
//       ├─ nslab-node2 ─ veth ─ eth0 10.200.0.12  [nightshift-lab-node-2]  cbr0 10.244.2.1/24 ─ pods
//       ├─ nslab-node3 ─ veth ─ eth0 10.200.0.13  [nightshift-lab-node-3]  cbr0 10.244.3.1/24 ─ pods
//       ├─ nslab-etcd1 ─ veth ─ eth0 10.200.0.21  [nightshift-lab-etcd-1]
//       ├─ nslab-etcd2 ─ veth ─ eth0 10.200.0.22  [nightshift-lab-etcd-2]
//       └─ nslab-etcd3 ─ veth ─ eth0 10.200.0.23  [nightshift-lab-etcd-3]
import { createHash } from 'node:crypto';

/** Prefix of every network namespace the lab owns apart from pods. */
export const NETNS_PREFIX = 'nightshift-lab-';
/** Prefix of every link the lab creates in the host namespace. */
export const HOST_LINK_PREFIX = 'nslab';

export const FABRIC_BRIDGE = 'nslab0';
export const FABRIC_PREFIX_LEN = 24;
export const HOST_IP = '10.200.0.1';
/** Cluster DNS (CoreDNS) address, as a Service IP would be. */
export const DNS_IP = '10.96.0.10';
/** Stand-in for the internet: api.stripe.com resolves here. */
export const OUTSIDE_IP = '10.200.0.100';
export const SERVICE_CIDR = '10.96.0.0/16';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const CLUSTER_DOMAIN = 'cluster.local';
/** Bridge inside each node namespace that its pods' veths join. */
export const NODE_BRIDGE = 'cbr0';
/** Name of a namespace's uplink inside node, etcd and pod namespaces. */
export const UPLINK = 'eth0';

export const PORTS = {
  apiserver: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  dns: 53,
  dnsMetrics: 9153,
  dnsHealth: 8091,
  dnsReady: 8181,
  gateway: 80,
  outside: 80,
  controllerManager: 10257,
  probe: 9470,
  gatewayAdmin: 9471,
  simulator: 9472,
  /** The DNS delay proxy (UDP, on the host address) and its admin endpoint (lab/dns-delay). */
  dnsDelay: 5354,
  dnsDelayAdmin: 9473,
  /** The policy agent's status and CNI endpoint (lab/policy/main.ts), on 127.0.0.1. */
  policy: 9474,
  /** Prometheus and Alertmanager (lab/observability), on 127.0.0.1. */
  prometheus: 9090,
  alertmanager: 9093,
  /** Temporal metrics of the control worker, and of the node agents (one port each, from this one up). */
  workerMetrics: 9464,
  agentMetrics: 9465,
} as const;

/**
 * Locally administered MACs for the lab's bridges. A bridge without an
 * address of its own takes the lowest MAC among its ports, so it changes
 * whenever a pod's veth comes or goes; the pods' ARP caches then point at
 * the old MAC and their packets to the gateway are lost until the entry is
 * re-probed (seconds). A MAC set at creation stays (as CNI plugins do).
 */
export const BRIDGE_MAC_PREFIX = '02:6e:73:00';
export const FABRIC_BRIDGE_MAC = `${BRIDGE_MAC_PREFIX}:00:01`;

export interface LabNode {
  name: string;
  netns: string;
  /** Address of the node's uplink on the fabric. */
  ip: string;
  /** Host-side end of the node's uplink veth (in the host namespace). */
  hostLink: string;
  podCidr: string;
  /** The node bridge's address: the pods' default gateway. */
  gateway: string;
  /** The node bridge's MAC, fixed (see BRIDGE_MAC_PREFIX). */
  bridgeMac: string;
}

export const NODES: readonly LabNode[] = [1, 2, 3].map((i) => ({
  name: `lab-node-${i}`,
  netns: `${NETNS_PREFIX}node-${i}`,
  ip: `10.200.0.${10 + i}`,
  hostLink: `${HOST_LINK_PREFIX}-node${i}`,
  podCidr: `10.244.${i}.0/24`,
  gateway: `10.244.${i}.1`,
  bridgeMac: `${BRIDGE_MAC_PREFIX}:01:0${i}`,
}));

export interface EtcdMember {
  name: string;
  netns: string;
  ip: string;
  hostLink: string;
  clientUrl: string;
  peerUrl: string;
}

export const ETCD_MEMBERS: readonly EtcdMember[] = [1, 2, 3].map((i) => {
  const ip = `10.200.0.${20 + i}`;
  return {
    name: `etcd-${i}`,
    netns: `${NETNS_PREFIX}etcd-${i}`,
    ip,
    hostLink: `${HOST_LINK_PREFIX}-etcd${i}`,
    clientUrl: `http://${ip}:${PORTS.etcdClient}`,
    peerUrl: `http://${ip}:${PORTS.etcdPeer}`,
  };
});

/** The Gateway the lab gateway process implements. */
export const LAB_GATEWAY = { namespace: 'production', name: 'external-gateway' } as const;

/** What the probe calls: POST <path> on the ready pods of this Service. */
export const PROBE_TARGET = { namespace: 'production', service: 'checkout-frontend', path: '/checkout' } as const;

export const APISERVER_URL = `https://${HOST_IP}:${PORTS.apiserver}`;
export const PROBE_URL = `http://127.0.0.1:${PORTS.probe}`;
export const PROMETHEUS_URL = `http://127.0.0.1:${PORTS.prometheus}`;
export const ALERTMANAGER_URL = `http://127.0.0.1:${PORTS.alertmanager}`;
export const GATEWAY_URL = `http://${HOST_IP}:${PORTS.gateway}`;

/** Annotations the node simulator puts on every pod it runs. */
export const POD_ANNOTATIONS = {
  /** The pod's network namespace (`ip netns exec <it> ...`). */
  netns: 'nightshift.dev/netns',
  /** The node-side end of the pod's veth, inside the node's namespace. */
  hostInterface: 'nightshift.dev/host-interface',
  /** The namespace of the node the pod runs on (where hostInterface lives). */
  nodeNetns: 'nightshift.dev/node-netns',
} as const;

/** A pod's network namespace: `<namespace>.<pod name>`, e.g. `production.cart-service-v1-6d4f9-x2x7q`. */
export function podNetnsName(namespace: string, pod: string): string {
  return `${namespace}.${pod}`;
}

/**
 * The node-side end of a pod's veth (in the node's namespace, on its bridge):
 * `lxc` + 11 hex digits of a hash of the pod's identity, as Cilium names them.
 */
export function podHostVethName(namespace: string, pod: string, uid: string): string {
  const digest = createHash('sha256').update(`${namespace}/${pod}/${uid}`).digest('hex');
  return `lxc${digest.slice(0, 11)}`;
}

export function nodeByName(name: string): LabNode | undefined {
  return NODES.find((node) => node.name === name);
}
