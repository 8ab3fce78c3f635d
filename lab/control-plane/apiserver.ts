// The real kube-apiserver on the fabric address, storing in the lab's etcd
// cluster, authenticating the lab's components by client certificate.
// No ServiceAccount admission: lab pods run no in-cluster clients.
// With `audit` (`lab up --chart`) it writes an audit log of the requests made
// by nightshift's ServiceAccounts (who, from which address, what), so the
// lab can show that its pods act as the chart's ServiceAccounts and nothing else.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import type { Pki } from '../pki.ts';
import { APISERVER_URL, ETCD_MEMBERS, HOST_IP, PORTS, SERVICE_CIDR } from '../topology.ts';

/** Where the audit log goes (`lab up --chart`): JSON lines, one per request of a nightshift ServiceAccount. */
export const auditLogPath = (paths: LabPaths) => join(paths.logs, 'kube-apiserver-audit.log');

/** Metadata (user, source IPs, verb, resource, status) of nightshift's ServiceAccounts' requests; nothing else. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts:nightshift", "system:serviceaccounts:nightshift-agent"]
  - level: None
`;

function auditArgs(paths: LabPaths): string[] {
  const policy = join(paths.root, 'audit-policy.yaml');
  writeFileSync(policy, AUDIT_POLICY);
  return [
    `--audit-policy-file=${policy}`,
    `--audit-log-path=${auditLogPath(paths)}`,
    '--audit-log-format=json',
    '--audit-log-mode=blocking',
  ];
}

export function apiserverComponent(
  paths: LabPaths,
  pki: Pki,
  bin: string,
  options: { audit?: boolean } = {},
): Component {
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
        ...(options.audit ? auditArgs(paths) : []),
      ],
    },
    health: { kind: 'https', url: `${APISERVER_URL}/readyz`, ca: pki.caCert },
  };
}
