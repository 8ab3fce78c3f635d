// A run as everyone sees it: who asked, each step's record, the decision
// pending and the decisions made, the diagnosis, the undo ledger. The
// runbook workflow answers its status query with RunStatus. Types only.
import type { Diagnosis } from './diagnosis.ts';
import type { Value } from './value.ts';

export interface Actor {
  id: string;
  name?: string;
  /** How the actor reached us: cli, slack, alert, gameday, schedule, timeout. */
  via?: string;
}

export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

export interface StepRecord {
  id: string;
  kind: string;
  title: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  result?: unknown;
  error?: string;
}

export interface OptionView {
  id: string;
  label: string;
  action?: string;
  destructive?: boolean;
  /**
   * Why choosing it needs four eyes (a production namespace, kube-system,
   * cluster-scoped, destructive): then only an approver who did not start the
   * run may choose it. Absent: no such rule (or a decision opened before it).
   */
  fourEyes?: string[];
}

export interface PendingDecision {
  step: string;
  question: string;
  options: OptionView[];
  deadline: string;
  default: string;
  deciders: { roles: string[]; users: string[] };
  secondPerson: boolean;
  /**
   * A run started by an alert (not a game day): nobody started it, so an
   * option needing four eyes is chosen by two people, the first choice
   * waiting for a second approver. Absent: one person decides.
   */
  twoPeople?: boolean;
  /** The first of the two, once someone has chosen a four-eyes option. */
  firstApproval?: { option: string; by: Actor; at: string };
}

export interface DecisionRecord {
  step: string;
  option: string;
  by: Actor;
  at: string;
  /** True when the timeout chose the default. */
  auto: boolean;
  comment?: string;
  /** Who chose the option first, when two people had to (alert-started runs). */
  firstBy?: Actor;
}

/** The decide Update's answer: the decision, or a first approval still waiting for its second. */
export interface DecideAnswer extends DecisionRecord {
  awaitingSecond?: boolean;
}

export type RunState = 'running' | 'waiting' | 'completed' | 'aborted' | 'failed' | 'cancelled';

export interface RunStatus {
  runbook: string;
  title: string;
  state: RunState;
  requestedBy: Actor;
  params: Record<string, Value>;
  currentStep?: string;
  steps: StepRecord[];
  pendingDecision?: PendingDecision;
  decisions: DecisionRecord[];
  diagnosis?: Diagnosis;
  compensations: { step: string; activity: string; status: 'registered' | 'done' | 'failed'; error?: string }[];
  startedAt: string;
  endedAt?: string;
  abort?: { reason: string; by?: Actor };
  alerts: { status: string; at: string }[];
  error?: string;
  /** The closing report: where it was written and what became of its attachments, or why it could not be. */
  report?: RunReport;
}

export interface RunReport {
  markdown?: string;
  html?: string;
  attached?: string[];
  error?: string;
}

export interface DecideRequest {
  /** The decide step; optional when only one decision is open. */
  step?: string;
  option: string;
  by: Actor & { roles: string[] };
  comment?: string;
}

export interface AbortRequest {
  reason: string;
  by?: Actor;
}

export interface AlertNotice {
  status: 'firing' | 'resolved';
  fingerprint?: string;
  at?: string;
}

/** What a game day follows of the run it started. */
export interface RunProgress {
  state: RunState;
  diagnosis?: Diagnosis;
  pendingDecision?: PendingDecision;
}
