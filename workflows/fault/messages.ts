// The fault workflow's public face for clients: its input, its status (the
// query answer and the result), and its abort signal. The workflow id is
// the fault id.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AttachmentPlan, Counters, NodeTarget, RevertResult } from '../../model/index.ts';
import type { FaultLimits, FaultSpec, ValidFault } from './spec.ts';

export interface Requester {
  id: string;
  name?: string;
  /** cli, slack, gameday, ... */
  via?: string;
  /** Roles the caller checked against nightshift's access config (PROTECTED_PEERS_ROLE lets a fault touch protected peers it names). */
  roles?: string[];
}

export interface FaultInput {
  spec: FaultSpec;
  /** A snapshot of config.faults at start (see faultLimits). */
  limits: FaultLimits;
  /** Validate, resolve and plan; attach nothing and return the plan. */
  dryRun?: boolean;
  requestedBy?: Requester;
}

export type FaultState =
  | 'starting'
  | 'injecting'
  | 'holding'
  | 'reverting'
  | 'completed'
  | 'aborted'
  | 'stopped'
  | 'cancelled'
  | 'refused'
  | 'failed'
  | 'dry-run';

export type VerdictOutcome = 'confirmed' | 'no matching traffic seen';

export interface Verdict {
  outcome: VerdictOutcome;
  at: string;
  counters: Counters;
}

export type EndReason = 'duration' | 'aborted' | 'stop-condition' | 'cancelled' | 'failed' | 'refused' | 'dry-run';

export interface FaultStatus {
  faultId: string;
  state: FaultState;
  fault?: ValidFault;
  requestedBy?: Requester;
  targets: NodeTarget[];
  /** What is (or would be) attached where, recorded before anything is attached. */
  undo: AttachmentPlan[];
  /** Attachment keys the agents confirmed. */
  injected: string[];
  deadline?: string;
  verdict?: Verdict;
  /** Latest counters over every attachment (final ones after the revert). */
  counters: Counters;
  end?: { reason: EndReason; detail?: string; at: string };
  reverts: RevertResult[];
  revertErrors: string[];
  problems: string[];
  startedAt: string;
  endedAt?: string;
  error?: string;
}

export interface AbortRequest {
  reason: string;
  by?: Requester;
}

export const faultStatusQuery = defineQuery<FaultStatus>('status');
/** The same signal name as a runbook's: `nightshift abort <fault id>` works too. */
export const faultAbortSignal = defineSignal<[AbortRequest]>('abort');

export interface FaultNodesRequest {
  nodes: string[];
  action: 'list' | 'stopAll' | 'capabilities' | 'revert';
  /** For revert. */
  faultId?: string;
}

export type FaultNodesResult = Record<string, { ok: true; result: unknown } | { ok: false; error: string }>;
