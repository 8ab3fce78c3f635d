// A diagnosis: ranked hypotheses, each with its evidence and the
// remediations that fit it. Types only.
import type { CollectorResult } from './evidence.ts';
import type { StepCall } from './step.ts';
import type { Value } from './value.ts';

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

/**
 * How far the evidence goes: `ranked`, causes ranked by confidence (with
 * `no-fault-found` among them only when the symptom is healthy); `unexplained`,
 * the symptom fails and nothing reaches 0.5 (weak leads ranked); `cannot-tell`,
 * the symptom could not be seen and nothing points at a cause (no hypotheses).
 */
export type DiagnosisOutcome = 'ranked' | 'unexplained' | 'cannot-tell';

export interface Diagnosis {
  hypotheses: Hypothesis[];
  /** Absent in diagnoses made before it existed: read as 'ranked'. */
  outcome?: DiagnosisOutcome;
  /** The one line a person reads first: the likely cause, what is unexplained, or what could not be seen. */
  headline?: string;
}

export interface DiagnoseCall extends StepCall {
  evidence: Record<string, Record<string, CollectorResult>>;
}
