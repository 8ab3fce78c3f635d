// What this node's kernel can do for faults, probed for real on a throwaway
// veth pair in the node's namespace: load the program, link it with tcx,
// add clsact, add the fq qdisc that Earliest Departure Time needs.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { run } from './exec.ts';
import { nsfault } from './helper.ts';
import { bpffsMounted, ensureBpffs } from './paths.ts';

export interface Capabilities {
  kernel: string;
  btf: boolean;
  bpffs: boolean;
  /** The program loads (verifier accepts it). */
  load: boolean;
  tcx: boolean;
  clsact: boolean;
  /** sch_fq: without it latency faults are refused. */
  fq: boolean;
  /** How faults attach here: tcx links, legacy tc filters, or not at all. */
  attachMode: 'tcx' | 'tc' | 'none';
  /** One line per missing feature, naming it. */
  problems: string[];
}

async function succeeds(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}

/** Probes the kernel from inside `netns` (undefined: this process's namespace). */
export async function probeCapabilities(netns?: string): Promise<Capabilities> {
  const problems: string[] = [];
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  if (!btf) problems.push('no kernel BTF (/sys/kernel/btf/vmlinux)');
  await ensureBpffs().catch((err: Error) => problems.push(`bpffs: ${err.message}`));
  const bpffs = bpffsMounted();
  const name = `nsp${randomBytes(3).toString('hex')}`;
  let load = false;
  let tcx = false;
  let clsact = false;
  let fq = false;
  try {
    await run('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`], { netns });
    await run('ip', ['link', 'set', name, 'up'], { netns });
    const probe = await nsfault.probe(name, { netns });
    load = probe.load;
    tcx = probe.tcx;
    if (!load) problems.push(`the fault program does not load: ${probe.loadError}`);
    else if (!tcx) problems.push(`no tcx links (kernel 6.6+): ${probe.tcxError}`);
    clsact = await succeeds(run('tc', ['qdisc', 'add', 'dev', name, 'clsact'], { netns }));
    if (!clsact) problems.push('no clsact qdisc (sch_ingress)');
    fq = await succeeds(run('tc', ['qdisc', 'add', 'dev', name, 'root', 'fq'], { netns }));
    if (!fq) problems.push('no sch_fq (the fq qdisc): latency faults cannot hold packets until their departure time');
  } catch (err) {
    problems.push(`capability probe failed: ${(err as Error).message}`);
  } finally {
    await run('ip', ['link', 'del', name], { netns }).catch(() => undefined);
  }
  const attachMode = !load || !bpffs ? 'none' : tcx ? 'tcx' : clsact ? 'tc' : 'none';
  return { kernel: release(), btf, bpffs, load, tcx, clsact, fq, attachMode, problems };
}
