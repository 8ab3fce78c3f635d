// Building the policy datapath on first use, the way the lab builds flowtap:
// policy.bpf.c with clang -target bpf, policy-helper with the system's
// libbpf (static), into a build directory, again whenever a source is newer.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SOURCE = join(HERE, 'policy.bpf.c');
const HELPER_SOURCE = join(HERE, 'policy-helper.c');
const HEADER = join(HERE, 'policy.h');

/** bpffs directory of the lab's policy datapath: progs/ and maps/. */
export const POLICY_PINS = '/sys/fs/bpf/nightshift-policy';

export class DatapathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatapathError';
  }
}

const newer = (out: string, ...sources: string[]) =>
  existsSync(out) && sources.every((s) => statSync(out).mtimeMs >= statSync(s).mtimeMs);

async function build(what: string, command: string, args: string[]): Promise<void> {
  try {
    await exec(command, args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new DatapathError(`cannot build ${what} (needs clang, cc, libbpf-dev): ${e.stderr || e.message}`);
  }
}

/** policy.bpf.o and policy-helper in `buildDir`, (re)built when missing or older than their sources. */
export async function buildDatapath(buildDir: string): Promise<{ object: string; helper: string }> {
  mkdirSync(buildDir, { recursive: true });
  const object = join(buildDir, 'policy.bpf.o');
  const helper = join(buildDir, 'policy-helper');
  if (!newer(object, SOURCE, HEADER)) {
    const multiarch = (await exec('cc', ['-print-multiarch']).catch(() => ({ stdout: 'x86_64-linux-gnu' }))).stdout;
    await build('policy.bpf.o', process.env.CLANG ?? 'clang', [
      ...['-target', 'bpf', '-O2', '-g', '-Wall', '-Werror', `-I${HERE}`, `-I/usr/include/${multiarch.trim()}`],
      ...['-c', SOURCE, '-o', object],
    ]);
  }
  if (!newer(helper, HELPER_SOURCE, HEADER)) {
    await build('policy-helper', process.env.CC ?? 'cc', [
      ...['-O2', '-Wall', '-Werror', `-I${HERE}`, HELPER_SOURCE],
      ...['-Wl,-Bstatic', '-lbpf', '-lelf', '-lz', '-Wl,-Bdynamic', '-o', helper],
    ]);
  }
  return { object, helper };
}
