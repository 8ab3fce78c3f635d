// Lab processes: started detached (their own session, so they outlive the
// CLI), logging to a file, remembered by pid and start time so that a
// recycled pid is never mistaken for ours.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from './sh.ts';

export interface SpawnSpec {
  command: string;
  args: readonly string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (through `ip netns exec`, which keeps the pid). */
  netns?: string;
  cwd?: string;
}

export interface Spawned {
  pid: number;
  startTime: number;
  command: string[];
}

/** Start time (clock ticks since boot) and state letter, or undefined when no such process. */
export function procStat(pid: number): { startTime: number; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '?';
  const startTime = Number(fields[19]);
  return { startTime, state };
}

/** The process is running and is the one we started. */
export function isAlive(pid: number, startTime: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export async function spawnDetached(spec: SpawnSpec): Promise<Spawned> {
  mkdirSync(dirname(spec.log), { recursive: true });
  const command = spec.netns
    ? ['ip', 'netns', 'exec', spec.netns, spec.command, ...spec.args]
    : [spec.command, ...spec.args];
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(command[0] as string, command.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    });
    const pid = await new Promise<number>((done, fail) => {
      child.once('error', (err) => fail(new LabError(`cannot start ${command[0]}: ${err.message}`)));
      child.once('spawn', () => done(child.pid as number));
    });
    child.unref();
    const stat = procStat(pid);
    if (!stat) throw new LabError(`${spec.command} exited at once; see ${spec.log}`);
    return { pid, startTime: stat.startTime, command };
  } finally {
    closeSync(fd);
  }
}

/**
 * SIGTERM to the process group, SIGKILL after `graceMs`; resolves when every
 * given process is gone. Processes that are not ours (any more) are skipped.
 */
export async function stopAll(procs: ReadonlyArray<{ pid: number; startTime: number }>, graceMs = 3000): Promise<void> {
  const ours = procs.filter((p) => isAlive(p.pid, p.startTime));
  for (const p of ours) signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let left = ours;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter((p) => isAlive(p.pid, p.startTime));
  }
  for (const p of left) signalGroup(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await sleep(20);
    left = left.filter((p) => isAlive(p.pid, p.startTime));
  }
  if (left.length > 0) throw new LabError(`processes ${left.map((p) => p.pid).join(', ')} survived SIGKILL`);
}

/** Signal a process's group when it leads one, else just the process. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last lines of a log, for error messages. */
export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
