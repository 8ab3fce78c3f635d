// The TypeScript side of flowtap.bpf.c: where its object and pins live,
// attaching its tc programs to a pod's eth0 (inside the pod's namespace, the
// place Cilium's endpoint programs sit, so they never share a hook with a
// fault on the host side), and the per-flow record the lab's Hubble stand-in
// reads (lab/hubble loads the program and reads the map). Like Hubble, the
// stand-in sees only what passes those hooks: a packet that a foreign tc
// program or the kernel's stack drops is never reported as dropped (its
// kfree_skb counter is left unfed: the lab has no drop reasons to report).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);

export const FLOWTAP_SOURCE = fileURLToPath(new URL('./flowtap.bpf.c', import.meta.url));
/** bpffs directory for flowtap's maps, tc programs and kfree_skb link. */
export const FLOWTAP_PINS = '/sys/fs/bpf/nightshift-flowtap';
/** The tc filter slot flowtap takes on a pod's eth0 (far from the fault's reserved band). */
/** Size of flowtap's per-flow LRU map (`flows` in flowtap.bpf.c: max_entries). */
export const FLOWTAP_FLOWS = 65_536;
export const TC_PREF = 49_200;
export const TC_HANDLE = '0xf10';

/**
 * The object to load, compiled (clang -target bpf, as scripts/build-bpf.sh
 * builds nightshift's own programs) into `cacheDir` on first use and again
 * whenever the source is newer. It is lab code, so the product build skips it.
 */
export async function flowtapObject(cacheDir: string): Promise<string> {
  const fresh = (obj: string) => existsSync(obj) && statSync(obj).mtimeMs >= statSync(FLOWTAP_SOURCE).mtimeMs;
  const out = join(cacheDir, 'flowtap.bpf.o');
  if (fresh(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const multiarch = (await run('cc', ['-print-multiarch']).catch(() => ({ stdout: 'x86_64-linux-gnu' }))).stdout.trim();
  await run(process.env.CLANG ?? 'clang', [
    '-target',
    'bpf',
    '-O2',
    '-g',
    '-Wall',
    '-Werror',
    `-I/usr/include/${multiarch}`,
    '-c',
    FLOWTAP_SOURCE,
    '-o',
    out,
  ]);
  return out;
}

/** tc on a pod's eth0, run inside its namespace (nsenter keeps /sys/fs/bpf visible). */
async function tc(netns: string, args: string[]): Promise<void> {
  await run('nsenter', [`--net=/run/netns/${netns}`, 'tc', ...args]);
}

/** Attach flowtap to both directions of `ifname` in `netns`. Idempotent. */
export async function attachTap(netns: string, ifname = 'eth0', pins = FLOWTAP_PINS): Promise<void> {
  await tc(netns, ['qdisc', 'add', 'dev', ifname, 'clsact']).catch((err: { stderr?: string }) => {
    // Already there (newer iproute2 words it "Exclusivity flag on").
    if (!/File exists|Exclusivity flag on/.test(err.stderr ?? '')) throw err;
  });
  for (const hook of ['egress', 'ingress'] as const) {
    await tc(netns, [
      'filter',
      'replace',
      'dev',
      ifname,
      hook,
      'pref',
      String(TC_PREF),
      'handle',
      TC_HANDLE,
      'bpf',
      'da',
      'pinned',
      join(pins, hook),
    ]);
  }
}

/** Remove flowtap's filters from `ifname` in `netns`; a namespace or filter already gone is fine. */
export async function detachTap(netns: string, ifname = 'eth0'): Promise<void> {
  for (const hook of ['egress', 'ingress'] as const) {
    await tc(netns, ['filter', 'del', 'dev', ifname, hook, 'pref', String(TC_PREF), 'handle', TC_HANDLE, 'bpf']).catch(
      () => undefined,
    );
  }
}

/** One changed flow, as flowtap-helper's `watch` prints it (counters are totals since load). */
export const tapRecordSchema = z.object({
  src: z.string(),
  dst: z.string(),
  sport: z.number().int(),
  dport: z.number().int(),
  proto: z.number().int(),
  tx: z.number(),
  txBytes: z.number(),
  rx: z.number(),
  rxBytes: z.number(),
  syn: z.number(),
  fin: z.number(),
  rst: z.number(),
  drops: z.number(),
  dropReason: z.number().int(),
  dropNetns: z.number().int(),
  httpRequests: z.number(),
  httpStatus: z.array(z.number()).length(6),
  latencyNs: z.number(),
  latencyCount: z.number(),
  ageMs: z.number(),
  /** When the flow's last packet passed, Unix ms (the kernel's timestamp on the wall clock). */
  atMs: z.number(),
  method: z.string(),
  path: z.string(),
});

export type TapRecord = z.infer<typeof tapRecordSchema>;

export const tapLineSchema = z.union([
  tapRecordSchema,
  z.object({ tick: z.number() }),
  z.object({ error: z.string() }),
]);

export const tapKey = (r: Pick<TapRecord, 'src' | 'dst' | 'sport' | 'dport' | 'proto'>) =>
  `${r.proto}|${r.src}:${r.sport}>${r.dst}:${r.dport}`;
