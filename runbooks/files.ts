// Reading runbooks from disk (CLI and gateway only; never from a workflow).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalogue } from './catalogue.ts';
import type { ValidationResult } from './validate.ts';
import { validateRunbookText } from './yaml.ts';

export const RUNBOOK_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * A runbook argument is a path, or the name of a runbook in runbooks/. Only a
 * regular file is one: a directory, a device (/dev/zero) or a socket is not.
 */
export function findRunbook(nameOrPath: string, dir: string = RUNBOOK_DIR): string | undefined {
  if (nameOrPath.includes('\0')) return undefined;
  const candidates = [nameOrPath, join(dir, `${nameOrPath}.yaml`), join(dir, `${nameOrPath}.yml`)];
  return candidates
    .map((c) => resolve(c))
    .find((c) => !c.endsWith('.ts') && statSync(c, { throwIfNoEntry: false })?.isFile() === true);
}

export function loadRunbookFile(path: string, catalogue?: Catalogue): ValidationResult {
  const text = readFileSync(path, 'utf8');
  return validateRunbookText(text, catalogue ? { catalogue } : {});
}
