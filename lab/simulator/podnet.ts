// A pod's network: its own namespace with eth0, a veth whose other end sits
// on the node's bridge (in the node's namespace), a default route via the
// node, clsact on both ends before the pod runs (see clsact() in sh.ts), and
// a resolv.conf naming the lab's CoreDNS with the cluster search path.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsEtcDir } from '../paths.ts';
import { clsact, ip, ipBatch, run } from '../sh.ts';
import { CLUSTER_DOMAIN, DNS_IP, NODE_BRIDGE, UPLINK, type LabNode } from '../topology.ts';

/** First line of every resolv.conf the lab writes: how `lab down` recognises a pod namespace. */
export const RESOLV_MARKER = '# nightshift lab pod';

export interface PodNetwork {
  netns: string;
  hostVeth: string;
  ip: string;
}

export function resolvConf(namespace: string, pod: string): string {
  return [
    `${RESOLV_MARKER} ${namespace}/${pod}`,
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    `nameserver ${DNS_IP}`,
    'options ndots:5',
    '',
  ].join('\n');
}

function hostsFile(pod: string, podIp: string): string {
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${podIp}\t${pod}`, ''].join('\n');
}

export async function createPodNetwork(node: LabNode, net: PodNetwork, namespace: string, pod: string): Promise<void> {
  const etc = netnsEtcDir(net.netns);
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'resolv.conf'), resolvConf(namespace, pod));
  writeFileSync(join(etc, 'hosts'), hostsFile(pod, net.ip));
  await ip(['netns', 'add', net.netns]);
  await ipBatch(
    [
      `link add ${net.hostVeth} type veth peer name ${UPLINK} netns ${net.netns}`,
      `link set ${net.hostVeth} master ${NODE_BRIDGE} up`,
    ],
    node.netns,
  );
  const prefixLen = node.podCidr.split('/')[1];
  await ipBatch(
    [
      'link set lo up',
      `addr add ${net.ip}/${prefixLen} dev ${UPLINK}`,
      `link set ${UPLINK} up`,
      `route add default via ${node.gateway} dev ${UPLINK}`,
    ],
    net.netns,
  );
  await Promise.all([clsact(UPLINK, net.netns), clsact(net.hostVeth, node.netns)]);
}

/** Kill what still runs in the namespace, delete it (its veth goes with it) and its /etc files. */
export async function destroyPodNetwork(netns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', netns], { okCodes: [1, 255] }).catch(() => '');
  for (const pid of pids
    .split('\n')
    .map(Number)
    .filter((n) => n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await run('ip', ['netns', 'del', netns], { okCodes: [1, 255] }).catch(() => '');
  rmSync(netnsEtcDir(netns), { recursive: true, force: true });
}
