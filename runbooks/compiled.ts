// A validated runbook in the form the workflow runs: names resolved to
// activities, durations in milliseconds. This is the workflow input; it is
// recorded in history, so a running incident never depends on a file.
import type { Condition, DecisionOption } from './schema.ts';
import type { Value } from '../model/index.ts';

export interface ActivityRef {
  name: string;
  activity: string;
  queue: 'control' | 'node';
}

export interface ActionRef extends ActivityRef {
  undo?: string;
  destructive: boolean;
  /** What the action changes (catalogue `touches`); absent in runbooks compiled before it existed. */
  touches?: 'namespace' | 'cluster' | 'fault';
}

interface StepBase {
  id: string;
  title: string;
  when?: Condition;
}

export interface CompiledCollector extends ActivityRef {
  key: string;
  timeoutMs: number;
  params: Record<string, Value>;
}

export interface CompiledGather extends StepBase {
  kind: 'gather';
  collectors: CompiledCollector[];
}

export interface CompiledDiagnose extends StepBase {
  kind: 'diagnose';
  from: string[];
  activity: string;
  timeoutMs: number;
}

export interface CompiledDecide extends StepBase {
  kind: 'decide';
  question: string;
  options: DecisionOption[];
  optionsFrom?: { step: string; minConfidence: number; max: number };
  deciders: { roles: string[]; users: string[] };
  timeoutMs: number;
  default: string;
  secondPerson: 'production' | 'always' | 'never';
}

export interface CompiledAct extends StepBase {
  kind: 'act';
  action?: ActionRef;
  fromDecision?: string;
  params: Record<string, Value>;
  timeoutMs: number;
  compensate: boolean;
  dryRun: boolean;
}

export interface CompiledVerify extends StepBase {
  kind: 'verify';
  probe: ActivityRef;
  params: Record<string, Value>;
  condition: Condition;
  deadlineMs: number;
  intervalMs: number;
}

export interface CompiledNotify extends StepBase {
  kind: 'notify';
  activity: string;
  message: string;
  channel?: string;
  attach: string[];
}

export type CompiledStep =
  CompiledGather | CompiledDiagnose | CompiledDecide | CompiledAct | CompiledVerify | CompiledNotify;

export interface CompiledParameter {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'duration';
  description?: string;
  default?: string | number | boolean;
  required: boolean;
  enum?: (string | number)[];
}

export interface CompiledRunbook {
  name: string;
  title: string;
  version: number;
  parameters: Record<string, CompiledParameter>;
  steps: CompiledStep[];
  /** Every action a decision may offer (the diagnosis names actions by catalogue name). */
  actions: Record<string, ActionRef>;
}

/** The reserved decision option that declines every remediation. */
export const DENY = 'deny';
