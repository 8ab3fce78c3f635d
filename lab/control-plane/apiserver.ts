// The real kube-apiserver on the fabric address, storing in the lab's etcd
// cluster, authenticating the lab's components by client certificate.
// No ServiceAccount admission: lab pods run no in-cluster clients.
import { join } from 'node:path';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import type { Pki } from '../pki.ts';
import { APISERVER_URL, ETCD_MEMBERS, HOST_IP, PORTS, SERVICE_CIDR } from '../topology.ts';

export function apiserverComponent(paths: LabPaths, pki: Pki, bin: string): Component {
  return {
    name: 'kube-apiserver',
    spawn: {
      command: bin,
      log: join(paths.logs, 'kube-apiserver.log'),
      args: [
        `--etcd-servers=${ETCD_MEMBERS.map((m) => m.clientUrl).join(',')}`,
        `--bind-address=${HOST_IP}`,
        `--advertise-address=${HOST_IP}`,
        `--secure-port=${PORTS.apiserver}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--authorization-mode=RBAC',
        '--disable-admission-plugins=ServiceAccount',
        '--profiling=false',
        `--cert-dir=${join(paths.pki, 'apiserver-generated')}`,
        '--v=1',
      ],
    },
    health: { kind: 'https', url: `${APISERVER_URL}/readyz`, ca: pki.caCert },
  };
}
