// Node's compile cache for the measuring helpers. An agent starts one helper
// per namespace it measures from, several at once in a gather; from the cache
// a start costs about 60 % of the CPU of a cold one (bench/netns-helper.ts),
// CPU a busy node lends to everything else gathering beside it. Code read
// from the cache runs in every helper, as root on a node, so only a
// directory no one else can write is used.
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Per user, since the helpers may run as root. */
const HELPER_COMPILE_CACHE = join(tmpdir(), `nightshift-node-compile-cache-${process.getuid?.() ?? 'user'}`);

let cacheDir: string | undefined | null = null;

/**
 * The directory, made private on first use; none (the helper starts cold) when it cannot be made, is not
 * ours, is a symlink, or someone else could write it.
 */
export function privateDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  const ours = uid === undefined || st.uid === uid;
  return st.isDirectory() && ours && (st.mode & 0o022) === 0 ? dir : undefined;
}

/** A helper's environment: ours, with Node's compile cache on when its directory is private. */
export function helperEnv(): NodeJS.ProcessEnv {
  if (cacheDir === null) cacheDir = privateDir(HELPER_COMPILE_CACHE);
  return cacheDir ? { ...process.env, NODE_COMPILE_CACHE: cacheDir } : process.env;
}
