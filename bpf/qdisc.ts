// The qdisc side of a fault: a clsact for legacy tc filters, fq for delays.
// Whatever we add is recorded in the fault's meta and removed on revert; a
// qdisc someone else configured is never replaced.
import { z } from 'zod';
import { run, runJson } from './exec.ts';

/** Handle of the fq root qdisc we install ("NS"), so revert knows it is ours. */
export const FQ_HANDLE = '4e53:';
/** Legacy tc filters: priorities from this reserved band, handles with this prefix. */
export const TC_PRIO_BASE = 0xc000;
export const TC_HANDLE_PREFIX = 0x4e530000;

const qdiscSchema = z.object({
  kind: z.string(),
  handle: z.string(),
  root: z.boolean().optional(),
  parent: z.string().optional(),
});
type Qdisc = z.infer<typeof qdiscSchema>;

export function qdiscs(ifname: string, netns?: string): Promise<Qdisc[]> {
  return runJson(qdiscSchema, 'tc', ['-j', 'qdisc', 'show', 'dev', ifname], { netns });
}

/** A stable prio/handle pair for a legacy filter of one attachment. */
export function tcSlot(pin: string): { prio: number; handle: number } {
  let hash = 2166136261;
  for (const char of pin) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return { prio: TC_PRIO_BASE + (hash & 0xff), handle: TC_HANDLE_PREFIX | ((hash >>> 8) & 0xffff) };
}

/** Adds clsact when missing; true when we added it. */
export async function ensureClsact(ifname: string, netns?: string): Promise<boolean> {
  if ((await qdiscs(ifname, netns)).some((q) => q.kind === 'clsact')) return false;
  await run('tc', ['qdisc', 'add', 'dev', ifname, 'clsact'], { netns });
  return true;
}

/** Removes the clsact we added, once no filter (ours or anyone's) is left on it. */
export async function releaseClsact(ifname: string, netns?: string): Promise<void> {
  for (const hook of ['ingress', 'egress']) {
    const { stdout } = await run('tc', ['-j', 'filter', 'show', 'dev', ifname, hook], { netns });
    const text = stdout.trim();
    if (text && text !== '[]') return;
  }
  await run('tc', ['qdisc', 'del', 'dev', ifname, 'clsact'], { netns });
}

export interface FqSizing {
  delayMs: number;
  jitterMs: number;
  /** Expected packets per second through the interface. */
  ratePps: number;
}

/**
 * fq drops a flow's packets past flow_limit and any packet stamped past its
 * horizon: size both from what the fault holds back (rate × delay).
 */
export function fqOptions(sizing: FqSizing): string[] {
  const holdMs = sizing.delayMs + sizing.jitterMs;
  const inFlight = Math.ceil((sizing.ratePps * holdMs) / 1000);
  const flowLimit = Math.max(100, Math.ceil(inFlight * 1.5));
  const limit = Math.max(10_000, flowLimit * 4);
  const horizonUs = Math.max(10_000_000, holdMs * 2_000);
  return ['flow_limit', String(flowLimit), 'limit', String(limit), 'horizon', `${horizonUs}us`, 'horizon_cap'];
}

/** Replaces the default root qdisc with fq; refuses a root someone configured. */
export async function installFq(ifname: string, sizing: FqSizing, netns?: string): Promise<void> {
  const root = (await qdiscs(ifname, netns)).find((q) => q.root);
  if (root && root.handle !== '0:' && root.handle !== FQ_HANDLE) {
    throw new Error(
      `${ifname} has a configured root qdisc (${root.kind} ${root.handle}); nightshift will not replace it`,
    );
  }
  await run('tc', ['qdisc', 'replace', 'dev', ifname, 'root', 'handle', FQ_HANDLE, 'fq', ...fqOptions(sizing)], {
    netns,
  });
}

/** Puts the default root qdisc back, only if the root is still our fq. */
export async function removeFq(ifname: string, netns?: string): Promise<void> {
  const root = (await qdiscs(ifname, netns)).find((q) => q.root);
  if (root?.handle === FQ_HANDLE) await run('tc', ['qdisc', 'del', 'dev', ifname, 'root'], { netns });
}
