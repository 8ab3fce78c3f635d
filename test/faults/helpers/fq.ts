// Does this kernel have sch_fq (which latency faults need)? Probed once in a
// namespace of its own, with the reason to print when a test must skip.
import { probeCapabilities, run } from '../../../bpf/index.ts';

export async function kernelHasFq(): Promise<{ fq: boolean; why: string }> {
  const netns = `nsf-probe-${process.pid}`;
  await run('ip', ['netns', 'add', netns]);
  try {
    const caps = await probeCapabilities(netns);
    return { fq: caps.fq, why: caps.problems.find((p) => p.includes('sch_fq')) ?? '' };
  } finally {
    await run('ip', ['netns', 'del', netns]);
  }
}
