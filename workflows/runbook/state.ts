// The run's state, kept as plain data so the status query returns it whole
// and a replay rebuilds it exactly.
import type {
  AbortRequest,
  AlertNotice,
  DecideRequest,
  DecisionRecord,
  Diagnosis,
  PendingDecision,
  RunReport,
  RunState,
  RunStatus,
  StepRecord,
} from '../../model/index.ts';
import type { CompiledStep, Scope } from '../../runbooks/index.ts';
import { refuseDecision } from './decisions.ts';
import type { RunbookInput } from './messages.ts';

export interface Compensation {
  step: string;
  activity: string;
  queue: 'control' | 'node';
  args: unknown[];
}

export class Run {
  readonly input: RunbookInput;
  readonly status: RunStatus;
  readonly results: Record<string, unknown> = {};
  readonly undo: Compensation[] = [];
  private publisher: (() => Promise<void>) | undefined;
  /** The last publication started by `publishBehind` (never rejects), and how many are under way. */
  private behind: Promise<void> = Promise.resolve();
  private behindCount = 0;
  private behindWaiting = false;

  constructor(input: RunbookInput, now: Date) {
    this.input = input;
    this.status = {
      runbook: input.runbook.name,
      title: input.runbook.title,
      state: 'running',
      requestedBy: input.requestedBy,
      params: input.params,
      steps: input.runbook.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title, status: 'pending' })),
      decisions: [],
      compensations: [],
      startedAt: now.toISOString(),
      alerts: [],
    };
  }

  /** Installs what tells people about progress (Slack); without it nothing is published. */
  setPublisher(publisher: () => Promise<void>): void {
    this.publisher = publisher;
  }

  /** Tells people now; after a publication still under way (`publishBehind`), so the newest status lands last. */
  published(): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) return Promise.resolve();
    return this.behindCount > 0 ? this.behind.then(publisher) : publisher();
  }

  /**
   * Tells people without holding the run back: the work goes on while the
   * thread is updated. Publications stay in order (each after the one before),
   * one waiting at most (it carries the newest status), and a failed or
   * cancelled one is not the run's failure.
   */
  publishBehind(): void {
    const publisher = this.publisher;
    // One waiting is enough: it publishes the status as it is when its turn comes.
    if (!publisher || this.behindWaiting) return;
    this.behindWaiting = true;
    this.behindCount++;
    this.behind = this.behind
      .then(() => {
        this.behindWaiting = false;
        return publisher();
      })
      .catch(() => undefined)
      .finally(() => {
        this.behindCount--;
      });
  }

  get finished(): boolean {
    return !['running', 'waiting'].includes(this.status.state);
  }

  get aborted(): boolean {
    return this.status.abort !== undefined;
  }

  /** What templates and conditions see. */
  scope(extra: Scope = {}): Scope {
    return { params: this.input.params, steps: this.results, run: this.runInfo(), ...extra };
  }

  private runInfo(): Record<string, unknown> {
    return { runbook: this.status.runbook, requestedBy: this.status.requestedBy, trigger: this.input.trigger ?? {} };
  }

  record(step: CompiledStep): StepRecord {
    const record = this.status.steps.find((s) => s.id === step.id);
    if (!record) throw new Error(`no record for step ${step.id}`);
    return record;
  }

  begin(step: CompiledStep, now: Date): void {
    this.status.currentStep = step.id;
    Object.assign(this.record(step), { status: 'running', startedAt: now.toISOString() });
  }

  complete(step: CompiledStep, result: unknown, now: Date): void {
    this.results[step.id] = result;
    Object.assign(this.record(step), { status: 'done', result, endedAt: now.toISOString() });
  }

  skip(step: CompiledStep, now: Date): void {
    Object.assign(this.record(step), { status: 'skipped', endedAt: now.toISOString() });
  }

  fail(step: CompiledStep, error: string, now: Date): void {
    Object.assign(this.record(step), { status: 'failed', error, endedAt: now.toISOString() });
  }

  setDiagnosis(diagnosis: Diagnosis): void {
    this.status.diagnosis = diagnosis;
  }

  open(pending: PendingDecision): void {
    this.status.pendingDecision = pending;
    this.status.state = 'waiting';
  }

  decisionAt(step: string): DecisionRecord | undefined {
    return this.status.decisions.find((d) => d.step === step);
  }

  refuse(request: DecideRequest): string | undefined {
    return refuseDecision(request, {
      state: this.status.state,
      decisions: this.status.decisions,
      requestedBy: this.status.requestedBy,
      ...(this.status.pendingDecision ? { pending: this.status.pendingDecision } : {}),
    });
  }

  /** The first of two people chose a four-eyes option: the decision stays open for the second. */
  approveFirst(first: NonNullable<PendingDecision['firstApproval']>): void {
    if (this.status.pendingDecision) this.status.pendingDecision.firstApproval = first;
  }

  decide(record: DecisionRecord): DecisionRecord {
    this.status.decisions.push(record);
    delete this.status.pendingDecision;
    if (this.status.state === 'waiting') this.status.state = 'running';
    return record;
  }

  requestAbort(request: AbortRequest): void {
    if (this.finished || this.aborted) return;
    this.status.abort = { reason: request.reason, ...(request.by ? { by: request.by } : {}) };
  }

  noteAlert(notice: AlertNotice, now: Date): void {
    this.status.alerts.push({ status: notice.status, at: notice.at ?? now.toISOString() });
  }

  setReport(report: RunReport): void {
    this.status.report = report;
  }

  registerUndo(compensation: Compensation): void {
    this.undo.push(compensation);
    this.status.compensations.push({ step: compensation.step, activity: compensation.activity, status: 'registered' });
  }

  finish(state: RunState, now: Date, error?: string): void {
    this.status.state = state;
    this.status.endedAt = now.toISOString();
    delete this.status.currentStep;
    delete this.status.pendingDecision;
    if (error) this.status.error = error;
  }
}
