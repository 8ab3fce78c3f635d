// Where nightshift's eBPF objects live: the built helper and programs, and
// the bpffs directory every pin goes under. Nothing outside PIN_ROOT is ours.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.ts';

export const BPFFS = '/sys/fs/bpf';
/** Every pin of every fault: PIN_ROOT/<fault id>/<attachment key>/{prog,link,config,...}. */
export const PIN_ROOT = process.env.NIGHTSHIFT_PIN_ROOT ?? `${BPFFS}/nightshift`;
export const BUILD_DIR = process.env.NIGHTSHIFT_BPF_BUILD ?? join(dirname(fileURLToPath(import.meta.url)), 'build');

/** Fault ids and attachment keys become bpffs directory names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class BpfSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BpfSetupError';
  }
}

export function helperPath(): string {
  const path = join(BUILD_DIR, 'nsfault');
  if (!existsSync(path)) throw new BpfSetupError(`${path} is missing: run scripts/build-bpf.sh`);
  return path;
}

export function objectPath(name: 'fault' | 'empty'): string {
  const path = join(BUILD_DIR, `${name}.bpf.o`);
  if (!existsSync(path)) throw new BpfSetupError(`${path} is missing: run scripts/build-bpf.sh`);
  return path;
}

export function faultDir(faultId: string): string {
  if (!NAME_PATTERN.test(faultId)) throw new BpfSetupError(`fault id "${faultId}" is not a safe bpffs name`);
  return join(PIN_ROOT, faultId);
}

export function attachmentDir(faultId: string, key: string): string {
  if (!NAME_PATTERN.test(key)) throw new BpfSetupError(`attachment key "${key}" is not a safe bpffs name`);
  return join(faultDir(faultId), key);
}

export function bpffsMounted(mounts = readFileSync('/proc/self/mounts', 'utf8')): boolean {
  return mounts.split('\n').some((line) => {
    const [, target, type] = line.split(' ');
    return target === BPFFS && type === 'bpf';
  });
}

/** Mounts bpffs when missing (root only) and makes PIN_ROOT. */
export async function ensureBpffs(): Promise<void> {
  if (!bpffsMounted()) {
    mkdirSync(BPFFS, { recursive: true });
    await run('mount', ['-t', 'bpf', 'bpf', BPFFS]);
  }
  mkdirSync(resolve(PIN_ROOT), { recursive: true, mode: 0o700 });
}
