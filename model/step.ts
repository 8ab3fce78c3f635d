// What every step activity receives and what an action returns: the calls
// that cross between the runbook interpreter and its activities. Types only.
import type { Value } from './value.ts';

/** What every interpreter-called activity receives. */
export interface StepCall {
  params: Record<string, Value>;
  context: StepContext;
  dryRun?: boolean;
}

export interface StepContext {
  workflowId: string;
  runbook: string;
  stepId: string;
  /** Stable per logical step: the idempotency key for side effects. */
  key: string;
}

/** What an action returns; `undo` is handed back to its undo activity. */
export interface ActionResult {
  changed: boolean;
  summary: string;
  undo?: Record<string, Value>;
  details?: Record<string, unknown>;
}
