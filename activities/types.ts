// Shapes that cross the boundary between activities and workflows. Types
// only: workflows import this file with `import type`.
import type { Value } from '../runbooks/schema.ts';

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

export type Severity = 'info' | 'warning' | 'critical';

/** One observation a collector makes that a person (and the diagnosis) should see. */
export interface Finding {
  /** Machine-readable kind, e.g. "flows.dropped", "dns.slow", "collector.failed". */
  kind: string;
  /** Stable within its collector result; a hypothesis cites it as "<collector key>#<id>". */
  id?: string;
  severity: Severity;
  summary: string;
  source: string;
  data?: Record<string, unknown>;
}

/** A collector's answer: typed evidence plus findings. */
export interface CollectorResult<E = unknown> {
  collector: string;
  ok: boolean;
  durationMs: number;
  evidence?: E;
  findings: Finding[];
  error?: string;
}

export interface Remediation {
  /** Unique within a diagnosis; becomes a decision option id. */
  id: string;
  title: string;
  /** Catalogue action name. */
  action: string;
  params: Record<string, Value>;
  destructive: boolean;
}

export interface Hypothesis {
  id: string;
  title: string;
  confidence: number;
  explanation: string;
  evidence: string[];
  remediations: Remediation[];
}

export interface Diagnosis {
  hypotheses: Hypothesis[];
}

export interface DiagnoseCall extends StepCall {
  evidence: Record<string, Record<string, CollectorResult>>;
}

/** What an action returns; `undo` is handed back to its undo activity. */
export interface ActionResult {
  changed: boolean;
  summary: string;
  undo?: Record<string, Value>;
  details?: Record<string, unknown>;
}
