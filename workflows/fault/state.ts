// A fault run's status and its transitions. Pure: the workflow mutates it,
// the status query returns it.
import type { AttachmentPlan, Counters, InjectResult, NodeTarget, RevertResult } from '../../model/index.ts';
import type { EndReason, FaultInput, FaultState, FaultStatus, Verdict } from './messages.ts';
import type { ValidFault } from './spec.ts';

export const zero = (): Counters => ({ seen: 0, matched: 0, dropped: 0, delayed: 0, expired: 0 });

export function sum(all: Counters[]): Counters {
  return all.reduce(
    (a, b) => ({
      seen: a.seen + b.seen,
      matched: a.matched + b.matched,
      dropped: a.dropped + b.dropped,
      delayed: a.delayed + b.delayed,
      expired: a.expired + b.expired,
    }),
    zero(),
  );
}

export function verdictOf(counters: Counters, at: Date): Verdict {
  const effect = counters.dropped + counters.delayed;
  return { outcome: effect > 0 ? 'confirmed' : 'no matching traffic seen', at: at.toISOString(), counters };
}

const FINAL: Partial<Record<EndReason, FaultState>> = {
  duration: 'completed',
  aborted: 'aborted',
  'stop-condition': 'stopped',
  cancelled: 'cancelled',
  failed: 'failed',
  refused: 'refused',
  'dry-run': 'dry-run',
};

export class FaultRun {
  readonly status: FaultStatus;

  constructor(faultId: string, input: FaultInput, now: Date) {
    this.status = {
      faultId,
      state: 'starting',
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
      targets: [],
      undo: [],
      injected: [],
      counters: zero(),
      reverts: [],
      revertErrors: [],
      problems: [],
      startedAt: now.toISOString(),
    };
  }

  get ended(): boolean {
    return this.status.end !== undefined;
  }

  accept(fault: ValidFault): void {
    this.status.fault = fault;
  }

  setTargets(targets: NodeTarget[]): void {
    this.status.targets = targets;
  }

  /** The undo, recorded before the change. */
  record(plans: AttachmentPlan[], deadline: Date): void {
    this.status.undo = plans;
    this.status.deadline = deadline.toISOString();
    this.status.state = 'injecting';
  }

  injected(result: InjectResult): void {
    if (!this.status.injected.includes(result.plan.key)) this.status.injected.push(result.plan.key);
  }

  holding(): void {
    if (!this.ended) this.status.state = 'holding';
  }

  setCounters(counters: Counters, verdictAt?: Date): void {
    this.status.counters = counters;
    if (verdictAt) this.status.verdict = verdictOf(counters, verdictAt);
  }

  /** The first end wins: abort, stop condition, cancellation or the duration. */
  end(reason: EndReason, at: Date, detail?: string): void {
    if (this.ended) return;
    this.status.end = { reason, at: at.toISOString(), ...(detail ? { detail } : {}) };
  }

  refuse(problems: string[], at: Date): void {
    this.status.problems = problems;
    this.status.error = problems.join('; ');
    this.end('refused', at, problems.join('; '));
  }

  reverting(): void {
    this.status.state = 'reverting';
  }

  reverted(result: RevertResult): void {
    this.status.reverts.push(result);
  }

  revertFailed(node: string, error: string): void {
    this.status.revertErrors.push(`${node}: ${error}`);
  }

  fail(error: string, at: Date): void {
    this.status.error = error;
    this.end('failed', at, error);
  }

  finish(at: Date): void {
    this.status.state = FINAL[this.status.end?.reason ?? 'duration'] ?? 'completed';
    this.status.endedAt = at.toISOString();
  }
}
