// Where a machine's CPU went between two moments, by process tree: each
// process counts toward the nearest of the given roots among its ancestors
// (a lab process and everything it started: the simulator's pods, an agent's
// helpers, the policy agent's proxies), the rest toward "other". Read from
// /proc: user + system ticks of the processes alive at both snapshots, and
// the whole machine's busy ticks from /proc/stat beside them.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

export interface CpuSnapshot {
  at: number;
  /** Busy ticks of the whole machine (every CPU, all but idle and iowait). */
  busy: number;
  /** Ticks by pid, with the root each pid counts toward. */
  pids: Map<number, { root: string; ticks: number }>;
}

interface Stat {
  ppid: number;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, … utime, stime.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined; // gone
  }
}

function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** A snapshot; `roots` names the processes whose trees are counted apart (name → pid). */
export function cpuSnapshot(roots: Map<number, string>): CpuSnapshot {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  const rootOf = (pid: number): string => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const root = roots.get(p);
      if (root) return root;
      const parent = stats.get(p)?.ppid;
      if (parent === undefined) break;
      p = parent;
    }
    return 'other';
  };
  const pids = new Map<number, { root: string; ticks: number }>();
  for (const [pid, stat] of stats) pids.set(pid, { root: rootOf(pid), ticks: stat.ticks });
  return { at: Date.now(), busy: machineBusy(), pids };
}

/** CPU seconds by root between two snapshots (processes that started in between count from zero), busiest first. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { machine: number; byRoot: [string, number][] } {
  const byRoot = new Map<string, number>();
  for (const [pid, now] of after.pids) {
    const ticks = now.ticks - (before.pids.get(pid)?.ticks ?? 0);
    if (ticks > 0) byRoot.set(now.root, (byRoot.get(now.root) ?? 0) + ticks / TICKS_PER_S);
  }
  return {
    machine: (after.busy - before.busy) / TICKS_PER_S,
    byRoot: [...byRoot].sort((a, b) => b[1] - a[1]),
  };
}
