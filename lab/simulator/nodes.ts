// The lab nodes as the API server sees them: a Node object per lab node
// (Ready, with its pod CIDR and fabric address) and a heartbeat Lease in
// kube-node-lease renewed every 10 s, as a kubelet keeps them.
import { release } from 'node:os';
import type { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { applyPatch, FIELD_MANAGER, mergePatch, microTime, rfc3339 } from '../k8s.ts';
import { NODES, type LabNode } from '../topology.ts';

export const KUBELET_VERSION = 'v1.36.3';
const LEASE_SECONDS = 40;
export const HEARTBEAT_MS = 10_000;

function nodeObject(node: LabNode) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': 'lab',
        'node.nightshift.dev/lab': 'true',
      },
      annotations: { 'nightshift.dev/netns': node.netns },
    },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
  };
}

function nodeStatus(node: LabNode, now: Date, since: Date) {
  const at = rfc3339(now);
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: rfc3339(since),
  });
  const resources = { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' };
  return {
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
      conditions: [
        cond('NetworkUnavailable', 'False', 'RouteCreated', 'lab routes are in place'),
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'lab node'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'lab node'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'lab node'),
        cond('Ready', 'True', 'KubeletReady', 'nightshift lab node simulator is posting ready status'),
      ],
      nodeInfo: {
        machineID: node.name,
        systemUUID: node.name,
        bootID: node.name,
        kernelVersion: release(),
        osImage: 'nightshift lab (network namespace)',
        containerRuntimeVersion: 'nightshift-lab://1',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    },
  };
}

/** Create or update the Node objects and post a Ready status (every minute, as a kubelet with leases does). */
export async function registerNodes(core: CoreV1Api, since: Date): Promise<void> {
  const now = new Date();
  await Promise.all(
    NODES.map(async (node) => {
      await core.patchNode(
        { name: node.name, body: nodeObject(node), fieldManager: FIELD_MANAGER, force: true },
        applyPatch,
      );
      await core.patchNodeStatus({ name: node.name, body: nodeStatus(node, now, since) }, mergePatch);
    }),
  );
}

export async function renewLeases(coordination: CoordinationV1Api): Promise<void> {
  const renewTime = microTime();
  await Promise.all(
    NODES.map((node) =>
      coordination.patchNamespacedLease(
        {
          name: node.name,
          namespace: 'kube-node-lease',
          fieldManager: FIELD_MANAGER,
          force: true,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: node.name, namespace: 'kube-node-lease' },
            spec: { holderIdentity: node.name, leaseDurationSeconds: LEASE_SECONDS, renewTime },
          },
        },
        applyPatch,
      ),
    ),
  );
}
