// A pod's volumes as the kubelet sets them up, planned without side effects:
// what each volume is on the host (a dir of the pod's, or a hostPath), which
// files an API-data volume holds (configMap, secret, projected: ConfigMap,
// Secret, downward API and ServiceAccount token sources), and where each
// container mounts what. The lab runs without the ServiceAccount admission
// plugin, so the simulator adds what it would add: unless the pod (or its
// ServiceAccount) says automountServiceAccountToken: false, a projected
// `kube-api-access-…` volume (a bound token, the cluster CA from the
// kube-root-ca.crt ConfigMap, the namespace) mounted in every container at
// /var/run/secrets/kubernetes.io/serviceaccount.
import { isAbsolute, join, normalize } from 'node:path';
import type { V1Container, V1KeyToPath, V1Pod, V1ServiceAccount, V1Volume } from '@kubernetes/client-node';
import { lookup, type PodObjects } from './env.ts';
import { expandVars } from './images.ts';
import type { MountSpec } from './mount-script.ts';

export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** What the kubelet asks for (and the API server then extends), refreshed at 80 % of its life. */
export const TOKEN_SECONDS = 3607;
const DEFAULT_MODE = 0o644;
const HOST_PATH_TYPES = ['', 'Directory', 'DirectoryOrCreate', 'File'] as const;
type HostPathType = (typeof HOST_PATH_TYPES)[number];
const isHostPathType = (t: string): t is HostPathType => HOST_PATH_TYPES.some((known) => known === t);

export class VolumeError extends Error {
  constructor(volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeError';
  }
}

export interface FileSpec {
  /** Relative to the volume's dir. */
  path: string;
  mode: number;
  content: Buffer;
}

export interface TokenSpec {
  path: string;
  mode: number;
  audience?: string;
  expirationSeconds: number;
}

export type PlannedVolume =
  | { name: string; kind: 'emptyDir' }
  | { name: string; kind: 'hostPath'; path: string; type: HostPathType }
  | { name: string; kind: 'data'; files: FileSpec[]; tokens: TokenSpec[] };

/** The ServiceAccount a pod runs as (the admission plugin's default). */
export function serviceAccountOf(pod: V1Pod): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
}

/** Whether the pod gets the default token volume: the pod's word first, then its ServiceAccount's. */
export function automounts(pod: V1Pod, sa: V1ServiceAccount | undefined): boolean {
  return pod.spec?.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
}

/** The volume the ServiceAccount admission plugin would add. */
export function apiAccessVolume(pod: V1Pod): V1Volume {
  return {
    name: `kube-api-access-${(pod.metadata?.uid ?? 'lab00').replaceAll('-', '').slice(0, 5)}`,
    projected: {
      defaultMode: DEFAULT_MODE,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/** The pod's volumes and mounts with the default token volume added where admission would add it. */
export function withApiAccess(
  pod: V1Pod,
  sa: V1ServiceAccount | undefined,
): { volumes: V1Volume[]; mounts: Map<string, V1Container['volumeMounts']> } {
  const volumes = [...(pod.spec?.volumes ?? [])];
  const mounts = new Map((pod.spec?.containers ?? []).map((c) => [c.name, [...(c.volumeMounts ?? [])]]));
  if (!automounts(pod, sa)) return { volumes, mounts };
  const access = apiAccessVolume(pod);
  volumes.push(access);
  for (const list of mounts.values()) {
    if (!list.some((m) => normalize(m.mountPath).replace(/(.)\/+$/, '$1') === SA_MOUNT_PATH))
      list.push({ name: access.name, mountPath: SA_MOUNT_PATH, readOnly: true });
  }
  return { volumes, mounts };
}

/** A relative path inside a volume: no `..`, not absolute (as the API server validates items). */
function safeRelative(volume: string, path: string): string {
  const clean = normalize(path);
  if (isAbsolute(path) || clean.startsWith('..') || clean === '.')
    throw new VolumeError(volume, `invalid path ${path}`);
  return clean;
}

function keyFiles(
  volume: string,
  data: Record<string, Buffer>,
  items: readonly V1KeyToPath[] | undefined,
  mode: number,
  what: string,
  optional: boolean | undefined,
): FileSpec[] {
  if (!items?.length) return Object.entries(data).map(([key, content]) => ({ path: key, mode, content }));
  return items.flatMap((item) => {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) return [];
      throw new VolumeError(volume, `${what} references non-existent config key: ${item.key}`);
    }
    return [{ path: safeRelative(volume, item.path), mode: item.mode ?? mode, content }];
  });
}

function objectData(
  volume: string,
  objects: PodObjects,
  kind: 'ConfigMap' | 'Secret',
  name: string,
  optional?: boolean,
) {
  try {
    return lookup(objects, kind, name, optional);
  } catch (err) {
    throw new VolumeError(volume, (err as Error).message);
  }
}

function downwardValue(pod: V1Pod, volume: string, path: string): string {
  const label = /^metadata\.(labels|annotations)$/.exec(path);
  if (label) {
    const map = (label[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return Object.entries(map)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join('');
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
  };
  if (!(path in fields)) throw new VolumeError(volume, `downward API field ${path} is not supported in the lab`);
  return fields[path] ?? '';
}

/** One volume of the pod as planned; throws VolumeError with the kubelet's words when it cannot be set up. */
export function planVolume(pod: V1Pod, volume: V1Volume, objects: PodObjects): PlannedVolume {
  const name = volume.name;
  if (volume.emptyDir) return { name, kind: 'emptyDir' };
  if (volume.hostPath) {
    const type = volume.hostPath.type ?? '';
    if (!isHostPathType(type)) throw new VolumeError(name, `hostPath type ${type} is not supported in the lab`);
    return { name, kind: 'hostPath', path: volume.hostPath.path, type };
  }
  if (volume.configMap) {
    const cm = volume.configMap;
    const data = objectData(name, objects, 'ConfigMap', cm.name ?? '', cm.optional) ?? {};
    const files = keyFiles(name, data, cm.items, cm.defaultMode ?? DEFAULT_MODE, 'configmap', cm.optional);
    return { name, kind: 'data', files, tokens: [] };
  }
  if (volume.secret) {
    const s = volume.secret;
    const data = objectData(name, objects, 'Secret', s.secretName ?? '', s.optional) ?? {};
    const files = keyFiles(name, data, s.items, s.defaultMode ?? DEFAULT_MODE, 'secret', s.optional);
    return { name, kind: 'data', files, tokens: [] };
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files: FileSpec[] = [];
    const tokens: TokenSpec[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) {
        const cm = source.configMap;
        const data = objectData(name, objects, 'ConfigMap', cm.name ?? '', cm.optional) ?? {};
        files.push(...keyFiles(name, data, cm.items, mode, 'configmap', cm.optional));
      } else if (source.secret) {
        const s = source.secret;
        const data = objectData(name, objects, 'Secret', s.name ?? '', s.optional) ?? {};
        files.push(...keyFiles(name, data, s.items, mode, 'secret', s.optional));
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? []) {
          if (!item.fieldRef)
            throw new VolumeError(name, `downward API item ${item.path}: only fieldRef is supported in the lab`);
          const content = Buffer.from(downwardValue(pod, name, item.fieldRef.fieldPath));
          files.push({ path: safeRelative(name, item.path), mode: item.mode ?? mode, content });
        }
      } else if (source.serviceAccountToken) {
        const t = source.serviceAccountToken;
        tokens.push({
          path: safeRelative(name, t.path),
          mode,
          ...(t.audience ? { audience: t.audience } : {}),
          expirationSeconds: t.expirationSeconds ?? TOKEN_SECONDS,
        });
      } else {
        throw new VolumeError(name, 'this projected source is not supported in the lab');
      }
    }
    return { name, kind: 'data', files, tokens };
  }
  throw new VolumeError(
    name,
    'only emptyDir, hostPath, configMap, secret and projected volumes are supported in the lab',
  );
}

/** The ConfigMaps and Secrets the volumes refer to (what the runner fetches before planning). */
export function volumeReferences(volumes: readonly V1Volume[]): { configMaps: string[]; secrets: string[] } {
  const configMaps: string[] = [];
  const secrets: string[] = [];
  for (const v of volumes) {
    if (v.configMap?.name) configMaps.push(v.configMap.name);
    if (v.secret?.secretName) secrets.push(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) configMaps.push(s.configMap.name);
      if (s.secret?.name) secrets.push(s.secret.name);
    }
  }
  return { configMaps, secrets };
}

/** Where a pod's files live: `<kubelet dir>/<pod uid>/`. */
export function podDirs(kubeletDir: string, uid: string) {
  const root = join(kubeletDir, uid);
  return {
    root,
    volume: (name: string) => join(root, 'volumes', name),
    hostPathStage: (name: string) => join(root, 'host-paths', name),
    stage: (container: string) => join(root, 'containers', container),
  };
}
export type PodDirs = ReturnType<typeof podDirs>;

/** Where each of the container's volumeMounts comes from (subPath and subPathExpr resolved). */
export function containerMounts(
  container: V1Container,
  mounts: V1Container['volumeMounts'],
  volumes: readonly PlannedVolume[],
  dirs: PodDirs,
  env: Readonly<Record<string, string>>,
): MountSpec[] {
  return (mounts ?? []).map((m) => {
    const volume = volumes.find((v) => v.name === m.name);
    if (!volume) throw new VolumeError(m.name, `container ${container.name} mounts a volume the pod does not have`);
    const base = volume.kind === 'hostPath' ? dirs.hostPathStage(volume.name) : dirs.volume(volume.name);
    const sub = m.subPathExpr ? expandVars(m.subPathExpr, env) : m.subPath;
    return {
      volume: m.name,
      source: sub ? join(base, safeRelative(m.name, sub)) : base,
      target: m.mountPath,
      // API data is always mounted read-only, as the kubelet mounts it.
      readOnly: volume.kind === 'data' || m.readOnly === true,
      ...(volume.kind === 'hostPath' ? { recursive: true } : {}),
    };
  });
}
