// The runbook workflow's public messages: a status query, a decide Update
// (validated: option exists, still open, decider authorised) and an abort signal.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Diagnosis } from '../../activities/types.ts';
import type { CompiledRunbook } from '../../runbooks/compiled.ts';
import type { Value } from '../../runbooks/schema.ts';

export interface Actor {
  id: string;
  name?: string;
  /** How the actor reached us: cli, slack, alert, gameday, schedule, timeout. */
  via?: string;
}

export interface RunbookInput {
  runbook: CompiledRunbook;
  params: Record<string, Value>;
  requestedBy: Actor;
  /** Snapshot of policy at start: where the second-person rule applies. */
  productionNamespaces?: string[];
  /** Where progress is published; absent means nobody is told (CLI runs). */
  notify?: { channel: string };
  /** Free-form origin details (alert fingerprint, game-day id). */
  trigger?: Record<string, Value>;
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
}

export interface PendingDecision {
  step: string;
  question: string;
  options: OptionView[];
  deadline: string;
  default: string;
  deciders: { roles: string[]; users: string[] };
  secondPerson: boolean;
}

export interface DecisionRecord {
  step: string;
  option: string;
  by: Actor;
  at: string;
  /** True when the timeout chose the default. */
  auto: boolean;
  comment?: string;
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

export const statusQuery = defineQuery<RunStatus>('status');
export const decideUpdate = defineUpdate<DecisionRecord, [DecideRequest]>('decide');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
/** A repeated or resolved alert notification reaching the run it started. */
export const alertSignal = defineSignal<[AlertNotice]>('alert');
