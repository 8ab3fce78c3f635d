// BPF_PROG_TEST_RUN on a pinned program: what it returns, what tstamp it
// leaves on the skb, and how long one run takes.
import { run } from './exec.ts';
import { nsfault } from './helper.ts';
import { objectPath } from './paths.ts';

export interface TestRunOptions {
  repeat?: number;
  /** __sk_buff tstamp going in (the kernel refuses a tstamp_type). */
  tstamp?: number;
}

export interface TestRunResult {
  retval: number;
  /** Average ns per run, as the kernel measured it. */
  durationNs: number;
  tstamp: number;
  /** CLOCK_MONOTONIC just before and after the run (the program's clock). */
  beforeNs: number;
  afterNs: number;
}

export async function testRun(
  progPin: string,
  packet: Uint8Array,
  options: TestRunOptions = {},
): Promise<TestRunResult> {
  return nsfault.run([
    '--prog',
    progPin,
    '--data',
    Buffer.from(packet).toString('hex'),
    '--repeat',
    String(options.repeat ?? 1),
    ...(options.tstamp === undefined ? [] : ['--tstamp', String(options.tstamp)]),
  ]);
}

/** Loads the empty baseline program (bench only) and pins it at `pin`. */
export async function loadEmpty(pin: string): Promise<void> {
  await run('bpftool', ['prog', 'load', objectPath('empty'), pin, 'type', 'tc']);
}
