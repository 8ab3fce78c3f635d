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

export interface Diagnosis {
  hypotheses: Hypothesis[];
}

export interface DiagnoseCall extends StepCall {
  evidence: Record<string, Record<string, CollectorResult>>;
}
