// bpffs at /sys/fs/bpf, where node agents pin their programs and maps.
// Mounted by `lab up` when missing (and recorded, so `lab down` unmounts it).
import { mkdirSync, readFileSync } from 'node:fs';
import { run } from './sh.ts';

export const BPFFS = '/sys/fs/bpf';

export function bpffsMounted(): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => {
      const [, mountPoint, type] = line.split(' ');
      return mountPoint === BPFFS && type === 'bpf';
    });
}

/** Mount bpffs if needed; true when this call mounted it. */
export async function ensureBpffs(): Promise<boolean> {
  if (bpffsMounted()) return false;
  mkdirSync(BPFFS, { recursive: true });
  await run('mount', ['-t', 'bpf', 'bpf', BPFFS]);
  return true;
}
