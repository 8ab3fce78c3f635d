// The workflow bundle, kept between processes. Bundling the workflows with
// webpack takes seconds of CPU (9 s here), and every control worker paid it
// at start: each lab's worker, each test file, each worker a crash test
// restarts, each replica of the chart's Deployment. The bundle is kept in
// node_modules/.cache/nightshift with the list of every file webpack read and
// each file's hash; it is used again only while every one of those files is
// unchanged (and the same SDK bundles the same entry), so an edit anywhere the
// workflows reach bundles again. Where the cache cannot be written (a
// read-only image), the worker bundles in memory as before.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_CACHE_DIR = join(REPO, 'node_modules', '.cache', 'nightshift');

/** What a kept bundle was made from: the SDK, the entry, and every file read with its hash. */
interface Kept {
  sdk: string;
  workflowsPath: string;
  files: Record<string, string>;
  code: string;
}

export interface BundleAnswer {
  bundle: WorkflowBundle;
  /** `kept`: read back from the cache; `made`: bundled now (and kept when the cache could be written). */
  from: 'kept' | 'made';
  /** Why a kept bundle was not used, when there was one. */
  stale?: string;
}

const sdkVersion = (): string => {
  const require = createRequire(import.meta.url);
  const pkg = require('@temporalio/worker/package.json') as { version: string };
  return pkg.version;
};

const hashOf = (path: string): string | undefined => {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
};

const cacheFile = (dir: string, workflowsPath: string) =>
  join(dir, `workflow-bundle-${createHash('sha256').update(workflowsPath).digest('hex').slice(0, 12)}.json`);

/** The kept bundle, or why it cannot be used. */
function readKept(file: string, workflowsPath: string, sdk: string): WorkflowBundle | string {
  let kept: Kept;
  try {
    kept = JSON.parse(readFileSync(file, 'utf8')) as Kept;
  } catch {
    return 'none kept';
  }
  if (kept.sdk !== sdk) return `made by SDK ${kept.sdk}, this is ${sdk}`;
  if (kept.workflowsPath !== workflowsPath) return 'made from another entry';
  for (const [path, hash] of Object.entries(kept.files))
    if (hashOf(path) !== hash) return `${path} changed since it was made`;
  return { code: kept.code };
}

/** Write atomically: a worker starting beside this one reads the old file or the new one, never half. */
function keep(file: string, kept: Kept, log: (line: string) => void): void {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temp, JSON.stringify(kept));
    renameSync(temp, file);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing was written there
    }
    log(`workflow bundle not kept (${(err as Error).message}); the next worker bundles again`);
  }
}

/** The workflows at `workflowsPath`, bundled or read back from `cacheDir`. */
export async function workflowBundleFor(
  workflowsPath: string,
  options: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<BundleAnswer> {
  const dir = options.cacheDir ?? BUNDLE_CACHE_DIR;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sdk = sdkVersion();
  const file = cacheFile(dir, workflowsPath);
  const kept = readKept(file, workflowsPath, sdk);
  if (typeof kept !== 'string') return { bundle: kept, from: 'kept' };

  let read: string[] = [];
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply(compiler) {
            compiler.hooks.done.tap('nightshift-bundle-inputs', (stats) => {
              read = [...stats.compilation.fileDependencies];
            });
          },
        },
      ],
    }),
  });
  // The entry the SDK writes is in memory, not on disk: only files on disk are kept (hashed).
  const files: Record<string, string> = {};
  for (const path of read) {
    const hash = hashOf(path);
    if (hash) files[path] = hash;
  }
  if (Object.keys(files).length > 0) keep(file, { sdk, workflowsPath, files, code: bundle.code }, log);
  return { bundle, from: 'made', ...(kept === 'none kept' ? {} : { stale: kept }) };
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};
