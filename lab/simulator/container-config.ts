// Everything a container needs before its process starts, as the kubelet and
// the runtime put it together: the image's config, the environment (the
// image's, the API server's address, the container's own), the command, the
// mounts and the launch that enters the pod's namespaces, and who the process
// runs as (security.ts). Throws ImageError (ErrImagePull), EnvError or
// SecurityError (CreateContainerConfigError), VolumeError or
// MountError (CreateContainerError) with what is wrong.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { LAB_ROOT_ENV } from '../component.ts';
import { HOST_IP, PORTS } from '../topology.ts';
import { containerEnv, type PodObjects } from './env.ts';
import { containerArgv, resolveImage, workingDir } from './images.ts';
import { hostFs, planLaunch, type FsView, type LaunchPlan, type MountSpec } from './mount-script.ts';
import { containerPrivileges, setprivArgv } from './security.ts';
import { containerMounts, type PlannedVolume, type PodDirs } from './volumes.ts';

/**
 * Where a pod reaches the API server: the kubelet sets KUBERNETES_SERVICE_HOST/PORT
 * from the `kubernetes` Service; the lab has no kube-proxy, so the API server's own
 * address, which every pod and node namespace routes to (the fabric's host address).
 */
export function serviceEnv(): Record<string, string> {
  const port = String(PORTS.apiserver);
  return {
    KUBERNETES_SERVICE_HOST: HOST_IP,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
  };
}

export interface ContainerInput {
  pod: V1Pod;
  container: V1Container;
  /** The container's volumeMounts, with any the simulator adds (the token volume). */
  mounts: V1Container['volumeMounts'];
  volumes: readonly PlannedVolume[];
  objects: PodObjects;
  dirs: PodDirs;
  netns: string;
  podIp: string;
  hostIp: string;
  /** Mounts of the runtime's own (a hostNetwork pod's cluster resolv.conf). */
  extraMounts?: MountSpec[];
}

export interface ContainerLaunch extends LaunchPlan {
  env: Record<string, string>;
  /** The container's own command line (what the launch execs last). */
  command: string[];
}

export function containerLaunch(input: ContainerInput, fs: FsView = hostFs): ContainerLaunch {
  const { pod, container } = input;
  const image = resolveImage(container.image ?? '');
  const labRoot = process.env[LAB_ROOT_ENV];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...image.env,
    HOSTNAME: pod.metadata?.name ?? '',
    ...containerEnv(pod, container, {
      podIp: input.podIp,
      hostIp: input.hostIp,
      objects: input.objects,
      base: serviceEnv(),
    }),
    // The lab marker: `lab down` finds this process even if its namespace is gone.
    ...(labRoot ? { [LAB_ROOT_ENV]: labRoot } : {}),
  };
  const command = containerArgv(image, container.command, container.args, env);
  const privileges = containerPrivileges(pod, container);
  const mounts = [
    ...containerMounts(container, input.mounts, input.volumes, input.dirs, env),
    ...(input.extraMounts ?? []),
  ];
  const usedHostPaths = input.volumes.filter(
    (v): v is PlannedVolume & { kind: 'hostPath' } =>
      v.kind === 'hostPath' && (input.mounts ?? []).some((m) => m.name === v.name),
  );
  const wd = workingDir(image, container.workingDir);
  const plan = planLaunch(
    {
      netns: input.netns,
      podRoot: input.dirs.root,
      stageDir: input.dirs.stage(container.name),
      stages: usedHostPaths.map((v) => ({ path: v.path, stage: input.dirs.hostPathStage(v.name) })),
      mounts,
      ...(wd ? { workingDir: wd } : {}),
      ...(privileges.readOnlyRootFilesystem ? { readOnlyRoot: true } : {}),
      argv: [...setprivArgv(privileges), ...command],
    },
    fs,
  );
  return { ...plan, env, command };
}
