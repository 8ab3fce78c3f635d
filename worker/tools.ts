// Where the project's built tools live (Temporal CLI, Go-built servers, Node).
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS_DIR = process.env.NIGHTSHIFT_TOOLS ?? join(REPO_ROOT, '.tools');
export const TOOLS_BIN = join(TOOLS_DIR, 'bin');

/** A tool from our tools dir, else from PATH; undefined when neither has it. */
export function findTool(name: string): string | undefined {
  const own = join(TOOLS_BIN, name);
  if (existsSync(own)) return own;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function requireTool(name: string, hint = 'run `make setup`'): string {
  const path = findTool(name);
  if (!path) throw new Error(`${name} not found in ${TOOLS_BIN} or on PATH (${hint})`);
  return path;
}
