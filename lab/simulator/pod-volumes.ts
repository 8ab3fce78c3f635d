// A pod's volumes made real on the host, in the pod's own dir under the lab
// dir (`<lab>/kubelet/<pod uid>/volumes/<name>`), as the kubelet keeps them
// under /var/lib/kubelet/pods: emptyDirs as directories, API data as files
// written whole (a reader never sees half a file; set up again, only what
// changed is written and what went is removed, so a running pod sees its
// ConfigMaps and Secrets change), ServiceAccount tokens from TokenRequest and
// refreshed in place before they expire, hostPaths checked (or made,
// DirectoryOrCreate) on the host. All of it goes with the pod, and with the
// lab dir at `lab down`.
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ApiException, type CoreV1Api, type V1Pod, type V1ServiceAccount } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PodObjects } from './env.ts';
import { refreshAt, requestPodToken, type PodToken } from './sa-token.ts';
import { VolumeError, type PlannedVolume, type PodDirs, type TokenSpec } from './volumes.ts';

const RETRY_MS = 10_000;

async function orAbsent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

/** The named ConfigMaps and Secrets of a namespace; missing ones are left out. */
export async function fetchObjects(
  core: CoreV1Api,
  namespace: string,
  refs: { configMaps: string[]; secrets: string[] },
): Promise<PodObjects> {
  const configMaps = await Promise.all(
    [...new Set(refs.configMaps)].map(
      async (name) => [name, await orAbsent(() => core.readNamespacedConfigMap({ name, namespace }))] as const,
    ),
  );
  const secrets = await Promise.all(
    [...new Set(refs.secrets)].map(
      async (name) => [name, await orAbsent(() => core.readNamespacedSecret({ name, namespace }))] as const,
    ),
  );
  return {
    configMaps: new Map(configMaps.flatMap(([n, o]) => (o ? [[n, o] as const] : []))),
    secrets: new Map(secrets.flatMap(([n, o]) => (o ? [[n, o] as const] : []))),
  };
}

export function fetchServiceAccount(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<V1ServiceAccount | undefined> {
  return orAbsent(() => core.readNamespacedServiceAccount({ name, namespace }));
}

/** Write `content` at `path` whole: a temporary file beside it, then a rename. */
export function writeWhole(path: string, content: Buffer | string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.tmp`);
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, path);
}

/** Write `content` whole unless the file already holds it with that mode. */
function writeChanged(path: string, content: Buffer, mode: number): void {
  try {
    if ((statSync(path).mode & 0o7777) === mode && readFileSync(path).equals(content)) return;
  } catch {
    // not there yet
  }
  writeWhole(path, content, mode);
}

/**
 * A pod with an fsGroup: its API-data volumes' files and dirs belong to that
 * group and the group may read them (and enter the dirs), as the kubelet sets
 * a volume's ownership, so a container of another user than root reads its
 * Secrets, ConfigMaps and token.
 */
function groupMode(mode: number, fsGroup: number | undefined, kind: 'file' | 'dir'): number {
  return fsGroup === undefined ? mode : mode | (kind === 'dir' ? 0o050 : 0o040);
}

function ownByGroup(root: string, paths: readonly string[], fsGroup: number | undefined): void {
  if (fsGroup === undefined) return;
  const dirs = new Set<string>([root]);
  for (const p of paths) for (let d = dirname(join(root, p)); d.startsWith(root); d = dirname(d)) dirs.add(d);
  for (const dir of dirs) {
    chownSync(dir, 0, fsGroup);
    chmodSync(dir, groupMode(statSync(dir).mode & 0o7777, fsGroup, 'dir'));
  }
  for (const p of paths) chownSync(join(root, p), 0, fsGroup);
}

function kindOf(path: string): 'dir' | 'file' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function setUpHostPath(volume: PlannedVolume & { kind: 'hostPath' }): void {
  const kind = kindOf(volume.path);
  const fail = (what: string) => {
    throw new VolumeError(volume.name, `hostPath type check failed: ${volume.path} is not a ${what}`);
  };
  if (volume.type === 'DirectoryOrCreate' || volume.type === '') {
    // As the kubelet (DirectoryOrCreate) and containerd (no type) do: a missing directory is made, 0755.
    if (kind === undefined) mkdirSync(volume.path, { recursive: true, mode: 0o755 });
    else if (kind !== 'dir' && volume.type === 'DirectoryOrCreate') fail('directory');
  } else if (volume.type === 'Directory' && kind !== 'dir') fail('directory');
  else if (volume.type === 'File' && kind !== 'file') fail('file');
}

export interface PodVolumesDeps {
  core: CoreV1Api;
  log: Logger;
  pod: V1Pod;
  serviceAccount: string;
  dirs: PodDirs;
}

/** The pod's volumes on the host, its tokens kept fresh until `remove`. */
export class PodVolumes {
  private readonly deps: PodVolumesDeps;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each token file is to be refreshed. */
  private readonly nextRefresh = new Map<string, Date>();
  /** The data files each volume holds, so a key that goes loses its file. */
  private readonly written = new Map<string, Set<string>>();
  private removed = false;

  constructor(deps: PodVolumesDeps) {
    this.deps = deps;
  }

  /**
   * Make every volume, or bring it up to date; throws VolumeError (a TokenError as one) when one cannot
   * be made yet.
   */
  async setUp(volumes: readonly PlannedVolume[]): Promise<void> {
    mkdirSync(this.deps.dirs.root, { recursive: true, mode: 0o750 });
    for (const volume of volumes) {
      const dir = this.deps.dirs.volume(volume.name);
      if (volume.kind === 'emptyDir') {
        // World-writable as the kubelet makes it (whatever the umask), so a container's non-root user can write.
        mkdirSync(dir, { recursive: true });
        chmodSync(dir, 0o777);
      } else if (volume.kind === 'hostPath') setUpHostPath(volume);
      else {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        for (const file of volume.files)
          writeChanged(join(dir, file.path), file.content, groupMode(file.mode, this.fsGroup, 'file'));
        const now = new Set(volume.files.map((f) => f.path));
        for (const gone of this.written.get(volume.name) ?? [])
          if (!now.has(gone)) rmSync(join(dir, gone), { force: true });
        this.written.set(volume.name, now);
        for (const spec of volume.tokens) {
          const key = `${volume.name}/${spec.path}`;
          if (this.timers.has(key) && lstatSync(join(dir, spec.path), { throwIfNoEntry: false })) continue;
          try {
            this.write(dir, spec, await this.token(spec));
          } catch (err) {
            throw new VolumeError(volume.name, (err as Error).message);
          }
          this.refreshLater(key, dir, spec);
        }
        ownByGroup(dir, [...volume.files.map((f) => f.path), ...volume.tokens.map((t) => t.path)], this.fsGroup);
      }
    }
  }

  private get fsGroup(): number | undefined {
    return this.deps.pod.spec?.securityContext?.fsGroup;
  }

  private token(spec: TokenSpec): Promise<PodToken> {
    return requestPodToken(
      this.deps.core,
      this.deps.pod,
      this.deps.serviceAccount,
      spec.expirationSeconds,
      spec.audience,
    );
  }

  private write(dir: string, spec: TokenSpec, token: PodToken): void {
    writeWhole(join(dir, spec.path), token.token, groupMode(spec.mode, this.fsGroup, 'file'));
    if (this.fsGroup !== undefined) chownSync(join(dir, spec.path), 0, this.fsGroup);
    this.nextRefresh.set(`${dir}/${spec.path}`, refreshAt(token));
  }

  private refreshLater(key: string, dir: string, spec: TokenSpec, afterMs?: number): void {
    if (this.removed) return;
    const at = this.nextRefresh.get(`${dir}/${spec.path}`);
    const delay = afterMs ?? Math.max(0, (at?.getTime() ?? Date.now()) - Date.now());
    const timer = setTimeout(() => {
      this.token(spec)
        .then((token) => {
          if (this.removed) return;
          this.write(dir, spec, token);
          this.refreshLater(key, dir, spec);
        })
        .catch((err: unknown) => {
          this.deps.log.warn({ pod: this.deps.pod.metadata?.name, err }, 'token refresh failed; retrying');
          this.refreshLater(key, dir, spec, RETRY_MS);
        });
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Stop refreshing and remove every file of the pod's (hostPaths stay, as on a node). */
  remove(): void {
    this.removed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    rmSync(this.deps.dirs.root, { recursive: true, force: true });
  }
}
