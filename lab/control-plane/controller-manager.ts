// The real kube-controller-manager: Deployments, ReplicaSets, EndpointSlices,
// namespaces, garbage collection, node lifecycle. No node IPAM (the lab sets
// each node's pod CIDR) and no cloud or volume controllers.
import { join } from 'node:path';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import type { Pki } from '../pki.ts';
import { CLUSTER_CIDR, PORTS } from '../topology.ts';

export const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'pod-garbage-collector-controller',
  'node-lifecycle-controller',
  'taint-eviction-controller',
  'disruption-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'root-ca-certificate-publisher-controller',
];

export function controllerManagerComponent(paths: LabPaths, pki: Pki, kubeconfig: string, bin: string): Component {
  return {
    name: 'kube-controller-manager',
    spawn: {
      command: bin,
      log: join(paths.logs, 'kube-controller-manager.log'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        `--controllers=${CONTROLLERS.join(',')}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${PORTS.controllerManager}`,
        `--cert-dir=${join(paths.pki, 'controller-manager-generated')}`,
        `--cluster-cidr=${CLUSTER_CIDR}`,
        '--allocate-node-cidrs=false',
        `--root-ca-file=${pki.caCert}`,
        '--use-service-account-credentials=false',
        '--kube-api-qps=100',
        '--kube-api-burst=200',
        '--v=1',
      ],
    },
    health: { kind: 'https', url: `https://127.0.0.1:${PORTS.controllerManager}/healthz` },
  };
}
