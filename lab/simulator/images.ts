// What "pulling an image" means in the lab: an image name picks something
// the checkout can run, described as an image config would describe it
// (entrypoint, cmd, env, working dir). Two families are known:
// - `nightshift-lab/<workload>[:tag]`: lab/workloads/<workload>.ts under Node,
//   the tag passed on as IMAGE_TAG (the shop's images);
// - nightshift's own, as deploy/docker builds them and the chart names them:
//   `nightshift/control[:tag]` (entrypoint `nightshift`, cmd `--help`) and
//   `nightshift/agent[:tag]` (cmd `agent`), run from the checkout's
//   bin/nightshift. The image keeps the checkout at /app; here /app is the
//   checkout itself. Every tag maps to the checkout as it is.
// A container's `command` replaces the entrypoint and `args` the cmd, as in
// any runtime (containerArgv).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../worker/base.ts';

export const WORKLOADS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'workloads');

export const IMAGE_REGISTRY = 'nightshift-lab';

export const WORKLOADS = ['checkout-frontend', 'cart-service', 'payment-processor', 'postgres-db'] as const;

/** Where deploy/docker/Dockerfile.control puts the checkout; in the lab, the checkout itself. */
export const IMAGE_APP_DIR = '/app';

/** An image's config, with its paths already mapped onto this machine. */
export interface ResolvedImage {
  /** The repository path, e.g. `nightshift/control`. */
  repository: string;
  tag: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** Where the image's own files are (its /app); a `command` under /app runs from here. */
  appDir?: string;
}

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** nightshift's own images (deploy/docker): the entrypoint, and the cmd and env each Dockerfile sets. */
const NIGHTSHIFT_IMAGES: Record<string, { cmd: string[]; env: Record<string, string> }> = {
  'nightshift/control': { cmd: ['--help'], env: { NODE_ENV: 'production', HOME: '/tmp' } },
  'nightshift/agent': { cmd: ['agent'], env: { NODE_ENV: 'production', HOME: '/tmp' } },
};

const KNOWN = [...Object.keys(NIGHTSHIFT_IMAGES), ...WORKLOADS.map((w) => `${IMAGE_REGISTRY}/${w}`)];

interface ImageRef {
  repository: string;
  tag: string;
}

/**
 * `[registry/]path[:tag][@digest]`, as a runtime reads it: the first part is a
 * registry when it has a dot or a port or is `localhost` (so
 * `localhost/nightshift/control:0.9`, what scripts/build-images.sh tags,
 * is `nightshift/control`).
 */
export function parseImageRef(image: string): ImageRef | undefined {
  const match = /^([a-z0-9][a-z0-9._/:-]*?)(?::([\w][\w.-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$/.exec(image);
  if (!match?.[1]) return undefined;
  const parts = match[1].split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
  if (parts.some((p) => !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(p))) return undefined;
  return { repository: parts.join('/'), tag: match[2] ?? 'latest' };
}

export function resolveImage(image: string): ResolvedImage {
  const ref = parseImageRef(image);
  const known = `known: ${KNOWN.join(', ')}`;
  if (!ref) throw new ImageError(`image "${image}" is not a valid image reference (${known})`);
  const own = NIGHTSHIFT_IMAGES[ref.repository];
  if (own) {
    return {
      repository: ref.repository,
      tag: ref.tag,
      entrypoint: [join(REPO_ROOT, 'bin', 'nightshift')],
      cmd: own.cmd,
      env: own.env,
      workingDir: REPO_ROOT,
      appDir: REPO_ROOT,
    };
  }
  const [registry, workload, ...rest] = ref.repository.split('/');
  if (registry !== IMAGE_REGISTRY || !workload || rest.length > 0) {
    throw new ImageError(`image "${image}" is not an image the lab can run (${known})`);
  }
  const script = join(WORKLOADS_DIR, `${workload}.ts`);
  if (!existsSync(script)) throw new ImageError(`image "${image}": no workload ${workload} (${known})`);
  return {
    repository: ref.repository,
    tag: ref.tag,
    entrypoint: [process.execPath, script],
    cmd: [],
    env: { IMAGE_TAG: ref.tag },
  };
}

/**
 * `$(VAR)` references in command, args and env values, as the kubelet expands
 * them: a defined variable is replaced, an undefined one is left as written,
 * `$$` is a literal `$`.
 */
export function expandVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\((\w+)\)/g, (whole, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? whole),
  );
}

/**
 * The process a container runs: `command` replaces the image's entrypoint
 * (and drops its cmd), `args` replace the cmd, both with `$(VAR)` expanded. A
 * command under the image's /app runs from the checkout.
 */
export function containerArgv(
  image: ResolvedImage,
  command: readonly string[] | undefined,
  args: readonly string[] | undefined,
  env: Readonly<Record<string, string>>,
): string[] {
  const expand = (list: readonly string[]) => list.map((s) => expandVars(s, env));
  const entry = command && command.length > 0 ? expand(command).map((c) => inApp(image, c)) : image.entrypoint;
  const rest = args && args.length > 0 ? expand(args) : command && command.length > 0 ? [] : image.cmd;
  const argv = [...entry, ...rest];
  if (argv.length === 0) throw new ImageError(`image ${image.repository}: no command to run`);
  return argv;
}

function inApp(image: ResolvedImage, path: string): string {
  if (!image.appDir) return path;
  if (path === IMAGE_APP_DIR) return image.appDir;
  return path.startsWith(`${IMAGE_APP_DIR}/`) ? join(image.appDir, path.slice(IMAGE_APP_DIR.length + 1)) : path;
}

/** The container's working dir: its own (an /app path mapped to the checkout), else the image's. */
export function workingDir(image: ResolvedImage, own: string | undefined): string | undefined {
  return own ? inApp(image, own) : image.workingDir;
}
