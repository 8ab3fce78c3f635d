// The node agent's reconciler, run on start and every 30 s: an attachment
// whose kernel deadline passed, whose fault the control plane no longer runs,
// or whose pins are half-made (an agent died mid-inject) is removed. When the
// control plane cannot be asked, live attachments are kept: the kernel
// deadline still ends them.
import { rmdirSync, statSync } from 'node:fs';
import { detach, faultDir, faultIds, list, pinDirs } from '../../bpf/index.ts';
import { withKernelLock } from './lock.ts';

export interface ReconcileDeps {
  node: string;
  /** Is the fault's workflow still running? undefined = the control plane cannot tell now. */
  faultActive(faultId: string): Promise<boolean | undefined>;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface Removal {
  faultId: string;
  key: string;
  reason: 'deadline passed' | 'fault not running' | 'incomplete pins';
  state: string;
}

export interface ReconcileReport {
  node: string;
  checked: number;
  removed: Removal[];
  /** Faults kept because the control plane could not be asked. */
  unknown: string[];
}

/** Pins younger than this without meta may be an inject in another process, still loading. */
const INCOMPLETE_AFTER_MS = 10_000;

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { node: deps.node, checked: 0, removed: [], unknown: [] };
  for (const faultId of faultIds()) {
    const attachments = await list(faultId);
    const described = new Set(attachments.map((a) => a.pin));
    const remove = async (pin: string, key: string, reason: Removal['reason']) => {
      const result = await withKernelLock(() => detach(pin));
      report.removed.push({ faultId, key, reason, state: result.state });
      deps.log?.info({ faultId, key, reason, state: result.state }, 'reconciler removed a fault attachment');
    };
    const incomplete = pinDirs(faultId).filter((p) => !described.has(p) && ageMs(p) > INCOMPLETE_AFTER_MS);
    for (const pin of incomplete) {
      await remove(pin, pin.slice(pin.lastIndexOf('/') + 1), 'incomplete pins');
    }
    report.checked += attachments.length;
    const live = [];
    for (const a of attachments) {
      if (a.expired) await remove(a.pin, a.key, 'deadline passed');
      else live.push(a);
    }
    if (live.length === 0) {
      await withKernelLock(async () => removeEmpty(faultId));
      continue;
    }
    const active = await deps.faultActive(faultId).catch(() => undefined);
    if (active === undefined) {
      report.unknown.push(faultId);
      deps.log?.warn({ faultId }, 'reconciler could not ask the control plane; the kernel deadline still applies');
    } else if (!active) {
      for (const a of live) await remove(a.pin, a.key, 'fault not running');
    }
  }
  return report;
}

/** A fault directory with nothing in it (a crash between mkdir and load). */
function removeEmpty(faultId: string): void {
  try {
    rmdirSync(faultDir(faultId));
  } catch {
    // not empty, or already gone
  }
}

function ageMs(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? Date.now() - stat.mtimeMs : 0;
}
