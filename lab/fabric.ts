// The lab's wires: a bridge in the host namespace (the "fabric" between
// machines), and for every node and etcd member a namespace whose eth0 is a
// veth into that bridge. Node namespaces forward between their pod bridge
// and the fabric, and route every other node's pod CIDR to that node, so
// node-to-node traffic crosses the nodes' uplinks. etcd members route the pod
// CIDRs to their nodes too, as a cluster's control-plane machines reach pods,
// so a pod's connection to etcd gets its answer (the host does not forward).
import {
  DNS_IP,
  ETCD_MEMBERS,
  FABRIC_BRIDGE,
  FABRIC_BRIDGE_MAC,
  FABRIC_PREFIX_LEN,
  HOST_IP,
  NODE_BRIDGE,
  NODES,
  OUTSIDE_IP,
  UPLINK,
  type EtcdMember,
  type LabNode,
} from './topology.ts';
import { clsact, ip, ipBatch, sysctl } from './sh.ts';

export interface Created {
  netns(name: string): void;
  link(name: string): void;
}

export async function createFabric(created: Created): Promise<void> {
  created.link(FABRIC_BRIDGE);
  await ipBatch([
    `link add ${FABRIC_BRIDGE} address ${FABRIC_BRIDGE_MAC} type bridge`,
    `addr add ${HOST_IP}/${FABRIC_PREFIX_LEN} dev ${FABRIC_BRIDGE}`,
    `addr add ${DNS_IP}/32 dev ${FABRIC_BRIDGE}`,
    `addr add ${OUTSIDE_IP}/32 dev ${FABRIC_BRIDGE}`,
    `link set ${FABRIC_BRIDGE} up`,
  ]);
}

/** A namespace with lo up and eth0 on the fabric at `address`. */
async function attach(netns: string, hostLink: string, address: string, created: Created): Promise<void> {
  created.netns(netns);
  await ip(['netns', 'add', netns]);
  created.link(hostLink);
  await ipBatch([
    `link add ${hostLink} type veth peer name ${UPLINK} netns ${netns}`,
    `link set ${hostLink} master ${FABRIC_BRIDGE} up`,
  ]);
  await ipBatch(
    [
      'link set lo up',
      `addr add ${address}/${FABRIC_PREFIX_LEN} dev ${UPLINK}`,
      `link set ${UPLINK} up`,
      `route add default via ${HOST_IP} dev ${UPLINK}`,
    ],
    netns,
  );
  await Promise.all([clsact(UPLINK, netns), clsact(hostLink)]);
}

/** An etcd member: on the fabric, each node's pod CIDR routed to that node. */
async function createEtcdMember(member: EtcdMember, created: Created): Promise<void> {
  await attach(member.netns, member.hostLink, member.ip, created);
  await ipBatch(
    NODES.map((node) => `route add ${node.podCidr} via ${node.ip} dev ${UPLINK}`),
    member.netns,
  );
}

async function createNode(node: LabNode, created: Created): Promise<void> {
  await attach(node.netns, node.hostLink, node.ip, created);
  const prefixLen = node.podCidr.split('/')[1];
  await ipBatch(
    [
      `link add ${NODE_BRIDGE} address ${node.bridgeMac} type bridge`,
      `addr add ${node.gateway}/${prefixLen} dev ${NODE_BRIDGE}`,
      `link set ${NODE_BRIDGE} up`,
      ...NODES.filter((other) => other !== node).map(
        (other) => `route add ${other.podCidr} via ${other.ip} dev ${UPLINK}`,
      ),
    ],
    node.netns,
  );
  await sysctl(node.netns, 'net.ipv4.ip_forward', '1');
}

/** Host routes to each node's pod CIDR, so the probe, tests and agents reach pod IPs. */
async function routePodCidrs(): Promise<void> {
  await ipBatch(NODES.map((node) => `route add ${node.podCidr} via ${node.ip} dev ${FABRIC_BRIDGE}`));
}

export async function createTopology(created: Created): Promise<void> {
  await createFabric(created);
  await Promise.all([
    ...NODES.map((node) => createNode(node, created)),
    ...ETCD_MEMBERS.map((member) => createEtcdMember(member, created)),
  ]);
  await routePodCidrs();
}
