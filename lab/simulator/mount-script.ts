// A container's mounts, done in its own mount namespace before its process
// starts. `ip netns exec` already gives every process a mount namespace of
// its own (a slave of the host's: nothing mounted in it shows on the host);
// a small shell script run there bind-mounts each volume at its mountPath
// (read-only where asked) and then execs the container's process, so the
// process keeps the pid the simulator started.
//
// A mountPath that does not exist on the host (/var/run/secrets/…,
// /etc/nightshift/…, /var/lib/nightshift) is made without touching the
// host's disk: its nearest existing parent P is "mimicked" in the container's
// namespace only: a tmpfs in the pod's stage dir gets a bind mount of every
// entry of P (symlinks copied), the missing directories are made in it, and
// it is moved over P. The container sees P as before plus the new mount
// points; the host sees nothing, and nothing is left when the process ends.
// hostPath sources are bound to the stage dir before `ip netns exec`, which
// remounts /sys (so /sys/fs/bpf stays reachable). Every source and stage is
// under the pod's dir, which the script holds open (fd 9) and names through
// /proc/self/fd/9, so a mount over one of its parents (an emptyDir on /tmp
// when the lab dir is under /tmp) cannot hide the sources that follow.
//
// Pure but for `FsView`, which reads the host's file system (hostFs).
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

export type PathKind = 'dir' | 'file';

/** What the plan needs to know of the host's file system. */
export interface FsView {
  /** Kind of what `path` names, following symlinks; undefined when nothing is there. */
  kind(path: string): PathKind | undefined;
  realpath(path: string): string;
  /** A directory's entries (symlinks with their target, not followed). */
  entries(dir: string): Array<{ name: string; kind: PathKind | 'symlink'; target?: string }>;
  mode(dir: string): number;
}

export const hostFs: FsView = {
  kind(path) {
    try {
      return statSync(path).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  realpath: (path) => realpathSync(path),
  entries(dir) {
    return readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isSymbolicLink()
        ? { name: e.name, kind: 'symlink' as const, target: readlinkSync(join(dir, e.name)) }
        : { name: e.name, kind: e.isDirectory() ? ('dir' as const) : ('file' as const) },
    );
  },
  mode: (dir) => lstatSync(dir).mode & 0o7777,
};

export class MountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MountError';
  }
}

export interface MountSpec {
  /** The volume's name, for messages. */
  volume: string;
  /** A host path: the volume's dir (or a file in it), or a hostPath volume's stage. */
  source: string;
  /** Where the container sees it (absolute). */
  target: string;
  readOnly: boolean;
  /** Bring mounts below the source along (hostPath). */
  recursive?: boolean;
}

export interface LaunchSpec {
  netns: string;
  /** The pod's dir: every source and stage dir is under it. */
  podRoot: string;
  /** A per-container dir of the pod's, for tmpfs mimics. */
  stageDir: string;
  /** hostPath sources, bound at `stage` before the network namespace is entered. */
  stages: Array<{ path: string; stage: string }>;
  mounts: MountSpec[];
  workingDir?: string;
  /** readOnlyRootFilesystem: the root mount made read-only in the container's namespace, after its volumes. */
  readOnlyRoot?: boolean;
  argv: string[];
}

export interface LaunchPlan {
  /** What to spawn. */
  argv: string[];
  /** Host paths to create before spawning (inside the pod's dirs or its volumes): mount points. */
  create: Array<{ path: string; kind: PathKind }>;
  /** Files to write before spawning (in the stage dir): the mimics' fstabs. */
  files: Array<{ path: string; content: string }>;
  /** The script run inside the container's namespace (for tests and logs). */
  script: string;
}

export const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The fd the script holds the pod's dir open on. */
const POD_FD = 9;

const depth = (p: string) => p.split('/').filter(Boolean).length;
const within = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}${sep}`);

interface Mimic {
  dir: string;
  stage: string;
  /** Paths relative to `dir` to make in the tmpfs, with their kind. */
  make: Map<string, PathKind>;
}

/** The container's view of `path`: its existing part with symlinks resolved, the rest as written. */
function canonical(fs: FsView, path: string): { existing: string; rest: string } {
  let existing = path;
  while (fs.kind(existing) === undefined && existing !== '/') existing = dirname(existing);
  return { existing: fs.realpath(existing), rest: relative(existing, path) };
}

export function planLaunch(spec: LaunchSpec, fs: FsView = hostFs): LaunchPlan {
  const create: LaunchPlan['create'] = [];
  const files: LaunchPlan['files'] = [];
  const mimics = new Map<string, Mimic>();
  const lines: string[] = [];
  const done: Array<{ target: string; source: string }> = [];
  const mounts = [...spec.mounts].sort((a, b) => depth(a.target) - depth(b.target));
  for (const m of mounts) {
    if (!isAbsolute(m.target)) throw new MountError(`volume ${m.volume}: mountPath ${m.target} is not absolute`);
    const sourceKind = fs.kind(onHost(spec, m.source));
    if (!sourceKind) throw new MountError(`volume ${m.volume}: ${m.source} does not exist`);
    const { existing, rest } = canonical(fs, m.target);
    const target = rest ? join(existing, rest) : existing;
    // Under a volume mounted before: the mount point is made in that volume's source.
    const parent = [...done].reverse().find((d) => within(target, d.target) && target !== d.target);
    if (parent) {
      const inSource = join(onHost(spec, parent.source), relative(parent.target, target));
      if (fs.kind(inSource) === undefined) create.push({ path: inSource, kind: sourceKind });
    } else if (rest) {
      if (existing === '/') {
        throw new MountError(`volume ${m.volume}: cannot make ${m.target}: the lab does not add directories to /`);
      }
      if (fs.kind(existing) !== 'dir') throw new MountError(`volume ${m.volume}: ${existing} is not a directory`);
      let mimic = mimics.get(existing);
      if (!mimic) {
        mimic = { dir: existing, stage: join(spec.stageDir, `mimic-${mimics.size}`), make: new Map() };
        mimics.set(existing, mimic);
        create.push({ path: mimic.stage, kind: 'dir' });
      }
      const parts = rest.split(sep);
      for (let i = 1; i < parts.length; i++) mimic.make.set(parts.slice(0, i).join(sep), 'dir');
      mimic.make.set(rest, sourceKind);
    } else if (fs.kind(target) !== sourceKind) {
      throw new MountError(
        `volume ${m.volume}: cannot mount a ${sourceKind} on ${m.target}, which is a ${fs.kind(target)}`,
      );
    }
    lines.push(...bind({ ...m, source: viaFd(spec, m.source) }, target));
    done.push({ target, source: m.source });
  }
  const mimicLines = [...mimics.values()]
    .sort((a, b) => depth(a.dir) - depth(b.dir))
    .flatMap((mimic) => {
      const fstab = `${mimic.stage}.fstab`;
      const reached = { ...mimic, stage: viaFd(spec, mimic.stage) };
      files.push({ path: fstab, content: mimicFstab(reached, fs) });
      return mimicScript(reached, viaFd(spec, fstab), fs);
    });
  const wd = spec.workingDir ? [`cd ${q(spec.workingDir)}`] : [];
  const script = [
    'set -e',
    `exec ${POD_FD}< ${q(spec.podRoot)}`,
    ...mimicLines,
    ...lines,
    // Read-only root: the root mount and the mimics of image dirs (not the volumes, mounts of their own).
    ...(spec.readOnlyRoot
      ? ['/', ...[...mimics.keys()].sort((a, b) => depth(a) - depth(b))].map((d) => `mount -o remount,bind,ro ${q(d)}`)
      : []),
    `exec ${POD_FD}<&-`,
    ...wd,
    'exec "$@"',
  ].join('\n');
  const inner = ['ip', 'netns', 'exec', spec.netns, 'sh', '-c', script, 'sh', ...spec.argv];
  if (spec.stages.length === 0) return { argv: inner, create, files, script };
  for (const s of spec.stages) create.push({ path: s.stage, kind: fs.kind(s.path) ?? 'dir' });
  const stage = ['set -e', ...spec.stages.map((s) => `mount --rbind ${q(s.path)} ${q(s.stage)}`), 'exec "$@"'].join(
    '\n',
  );
  return {
    argv: ['unshare', '--mount', '--propagation', 'slave', 'sh', '-c', stage, 'sh', ...inner],
    create,
    files,
    script: `${stage}\n# then, in the network namespace:\n${script}`,
  };
}

/** A path under the pod's dir, through the fd the script holds it on. */
function viaFd(spec: LaunchSpec, path: string): string {
  return within(path, spec.podRoot) ? join(`/proc/self/fd/${POD_FD}`, relative(spec.podRoot, path)) : path;
}

/** A source under a hostPath stage is, on the host, under the hostPath. */
function onHost(spec: LaunchSpec, source: string): string {
  const stage = spec.stages.find((s) => within(source, s.stage));
  return stage ? join(stage.path, relative(stage.stage, source)) : source;
}

function bind(m: MountSpec, target: string): string[] {
  const t = q(target);
  return [
    `mount -c ${m.recursive ? '--rbind' : '--bind'} ${q(m.source)} ${t}`,
    ...(m.readOnly ? [`mount -c -o remount,bind,ro ${t}`] : []),
  ];
}

/** A path as fstab(5) spells it: space, tab, newline and backslash escaped in octal. */
export function fstabPath(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Every entry of the mimicked dir but its symlinks, bound onto its stand-in (one `mount -a` for all). */
function mimicFstab(mimic: Mimic, fs: FsView): string {
  return fs
    .entries(mimic.dir)
    .filter((e) => e.kind !== 'symlink')
    .map((e) => {
      const from = fstabPath(join(mimic.dir, e.name));
      const to = fstabPath(join(mimic.stage, e.name));
      return `${from} ${to} none ${e.kind === 'dir' ? 'rbind' : 'bind'} 0 0\n`;
    })
    .join('');
}

/**
 * A tmpfs that looks like `dir` (its entries bound in by `fstab`, written from mimicFstab; symlinks
 * copied) plus the new paths, moved over it. `mimic.stage` and `fstab` are named through the pod's fd,
 * and so are the fstab's targets.
 */
function mimicScript(mimic: Mimic, fstab: string, fs: FsView): string[] {
  const at = (name: string) => q(join(mimic.stage, name));
  const entries = fs.entries(mimic.dir);
  const dirs = entries.filter((e) => e.kind === 'dir');
  const files = entries.filter((e) => e.kind === 'file');
  const made = [...mimic.make.entries()];
  const madeDirs = made.filter(([, kind]) => kind === 'dir').map(([p]) => p);
  const madeFiles = made.filter(([, kind]) => kind === 'file').map(([p]) => p);
  return [
    `# ${mimic.dir} with ${made.map(([p]) => p).join(', ')}`,
    `mount -c -t tmpfs -o mode=${fs.mode(mimic.dir).toString(8)} nightshift-lab ${q(mimic.stage)}`,
    ...(dirs.length ? [`mkdir ${dirs.map((e) => at(e.name)).join(' ')}`] : []),
    ...(files.length ? [`touch ${files.map((e) => at(e.name)).join(' ')}`] : []),
    ...entries.flatMap((e) => (e.kind === 'symlink' ? [`ln -s ${q(e.target ?? '')} ${at(e.name)}`] : [])),
    ...(dirs.length || files.length ? [`mount -a -c -T ${q(fstab)}`] : []),
    ...(madeDirs.length ? [`mkdir -p ${madeDirs.map(at).join(' ')}`] : []),
    ...(madeFiles.length ? [`touch ${madeFiles.map(at).join(' ')}`] : []),
    `mount -c --move ${q(mimic.stage)} ${q(mimic.dir)}`,
  ];
}
