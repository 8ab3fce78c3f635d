// One member of the lab's 3-member etcd cluster, inside its own network
// namespace so that peer and client traffic crosses links a fault can hit.
// `/health` and `/metrics` are served on the client URL, reachable from the host.
import { join } from 'node:path';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import { ETCD_MEMBERS, type EtcdMember } from '../topology.ts';

export const ETCD_CLUSTER_TOKEN = 'nightshift-lab';

export function initialCluster(): string {
  return ETCD_MEMBERS.map((m) => `${m.name}=${m.peerUrl}`).join(',');
}

export function etcdComponent(member: EtcdMember, paths: LabPaths, etcdBin: string): Component {
  return {
    name: member.name,
    spawn: {
      command: etcdBin,
      netns: member.netns,
      log: join(paths.logs, `${member.name}.log`),
      args: [
        '--name',
        member.name,
        '--data-dir',
        join(paths.etcdData, member.name),
        '--listen-client-urls',
        `${member.clientUrl},http://127.0.0.1:2379`,
        '--advertise-client-urls',
        member.clientUrl,
        '--listen-peer-urls',
        member.peerUrl,
        '--initial-advertise-peer-urls',
        member.peerUrl,
        '--initial-cluster',
        initialCluster(),
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        ETCD_CLUSTER_TOKEN,
        '--log-level',
        'warn',
      ],
    },
    health: { kind: 'http', url: `${member.clientUrl}/health` },
  };
}
