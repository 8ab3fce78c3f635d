// The runbook workflow's public messages: its input, a status query, a
// decide Update (validated: option exists, still open, decider authorised),
// an abort signal and the alert notices that reach a run.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AbortRequest,
  Actor,
  AlertNotice,
  DecideAnswer,
  DecideRequest,
  RunStatus,
  Value,
} from '../../model/index.ts';
import type { CompiledRunbook } from '../../runbooks/index.ts';

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

export const statusQuery = defineQuery<RunStatus>('status');
export const decideUpdate = defineUpdate<DecideAnswer, [DecideRequest]>('decide');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
/** A repeated or resolved alert notification reaching the run it started. */
export const alertSignal = defineSignal<[AlertNotice]>('alert');
