// Where the lab keeps its files: everything under `<dataDir>/lab/`, so
// `lab down` removes one directory. Pod resolv.conf files live in
// /etc/netns/<pod netns>/ because that is where `ip netns exec` looks.
import { join, resolve } from 'node:path';

export interface LabPaths {
  root: string;
  state: string;
  pods: string;
  kubeconfig: string;
  /** The control worker's: a token of the chart's worker ServiceAccount (lab/chart.ts), never the admin's certificate. */
  workerKubeconfig: string;
  controllerManagerKubeconfig: string;
  pki: string;
  logs: string;
  podLogs: string;
  etcdData: string;
  corefile: string;
  temporalDb: string;
}

export function labPaths(dataDir: string): LabPaths {
  const root = resolve(dataDir, 'lab');
  return {
    root,
    state: join(root, 'state.json'),
    pods: join(root, 'pods.json'),
    kubeconfig: join(root, 'kubeconfig'),
    workerKubeconfig: join(root, 'worker.kubeconfig'),
    controllerManagerKubeconfig: join(root, 'controller-manager.kubeconfig'),
    pki: join(root, 'pki'),
    logs: join(root, 'logs'),
    podLogs: join(root, 'logs', 'pods'),
    etcdData: join(root, 'etcd'),
    corefile: join(root, 'Corefile'),
    temporalDb: join(root, 'temporal.db'),
  };
}

/** Per-netns files that `ip netns exec` bind-mounts over /etc/<file>. */
export function netnsEtcDir(netns: string): string {
  return join('/etc/netns', netns);
}

/** Where the lab's node agents pin their BPF objects (`<this>/<node>`); `lab down` removes it. */
export const BPF_PIN_ROOT = '/sys/fs/bpf/nightshift-lab';
