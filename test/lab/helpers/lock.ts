// One lab per machine: test files that bring a lab up take this lock first,
// so jest workers (or two people's test runs) never start two labs at once.
// The lock names its holder (pid, process start time, boot); a holder that is
// gone, killed mid-run or from before a restart, is taken over at once, and
// the lab it left behind is swept away before ours comes up.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { labDown, markedProcesses } from '../../../lab/down.ts';
import { isAlive, procStat } from '../../../lab/procs.ts';

const LOCK = '/run/lock/nightshift-lab-test';
const OWNER = join(LOCK, 'owner.json');
/** Between mkdir and writing the owner file; a lock without one for longer was left by a killed run. */
const OWNERLESS_GRACE_MS = 10_000;

const ownerSchema = z.object({
  pid: z.number(),
  startTime: z.number(),
  bootId: z.string(),
  command: z.string(),
  since: z.string(),
});
type Owner = z.infer<typeof ownerSchema>;

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

function readOwner(): Owner | undefined {
  try {
    return ownerSchema.parse(JSON.parse(readFileSync(OWNER, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Why the current lock is stale, or undefined while its holder may still be working. */
function staleness(): string | undefined {
  const owner = readOwner();
  if (!owner) {
    const mtime = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
    return mtime !== undefined && Date.now() - mtime > OWNERLESS_GRACE_MS
      ? 'it names no holder (left by an older or killed run)'
      : undefined;
  }
  if (owner.bootId !== bootId()) return `its holder (pid ${owner.pid}) ran before the machine restarted`;
  if (!isAlive(owner.pid, owner.startTime)) return `its holder (pid ${owner.pid}, ${owner.command}) is gone`;
  return undefined;
}

/** The lab a dead holder left: swept by name, unless a live lab (someone's own) is running. */
async function sweepDeadLab(): Promise<void> {
  if (markedProcesses().length > 0) {
    console.warn('lab lock: a lab with live processes is running on this machine; not sweeping it');
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'nightshift-lab-sweep-'));
  try {
    const report = await labDown(scratch);
    if (report.netns.length || report.links.length || report.processes) {
      console.warn(
        `lab lock: swept the lab a dead holder left: ${report.netns.length} namespaces, ${report.links.length} links, ${report.processes} processes`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function lockLab(timeoutMs = 8 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(LOCK);
    } catch {
      const stale = staleness();
      if (stale) {
        console.warn(`lab lock: taking over ${LOCK}: ${stale}`);
        rmSync(LOCK, { recursive: true, force: true });
        await sweepDeadLab();
        continue;
      }
      const owner = readOwner();
      const holder = owner ? `pid ${owner.pid} (${owner.command}) since ${owner.since}` : 'a run that is just starting';
      if (Date.now() > deadline)
        throw new Error(`another lab test still holds ${LOCK} after ${timeoutMs / 1000} s: ${holder}`);
      if (!announced) console.warn(`lab lock: waiting for ${LOCK}, held by ${holder}`);
      announced = true;
      await sleep(1000);
      continue;
    }
    const self: Owner = {
      pid: process.pid,
      startTime: procStat(process.pid)?.startTime ?? 0,
      bootId: bootId(),
      command: process.argv.slice(1, 3).join(' '),
      since: new Date().toISOString(),
    };
    writeFileSync(OWNER, JSON.stringify(self));
    return () => {
      if (readOwner()?.pid === process.pid) rmSync(LOCK, { recursive: true, force: true });
    };
  }
}
