// One lab per machine: test files that bring a lab up take this lock first,
// so jest workers (or two people's test runs) never start two labs at once.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK = '/run/lock/nightshift-lab-test';
/** A lock older than this was left by a killed run. */
const STALE_MS = 15 * 60_000;

export async function lockLab(timeoutMs = 10 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another lab test holds ${LOCK}`);
      await sleep(1000);
    }
  }
}
