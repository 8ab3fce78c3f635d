// Messages of the alert intake: the one workflow that turns Alertmanager
// notifications into runs, deduplicated and rate-capped, durably.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GamedayRegistration } from '../../model/index.ts';
import type { RunbookInput } from '../runbook/messages.ts';

/** One alert, already routed by the gateway (or not, with the reason). */
export interface AlertEnvelope {
  /** Deduplication key: one run per key. */
  key: string;
  status: 'firing' | 'resolved';
  alertname: string;
  fingerprint: string;
  labels: Record<string, string>;
  startsAt: string;
  receivedAt: string;
  /** The run to start for this alert; absent when no route matched or routing failed. */
  run?: { workflowId: string; input: RunbookInput };
  unrouted?: string;
}

export interface IntakeState {
  /** Dedupe key -> run workflow id, with the time it started. */
  runs: Record<string, { workflowId: string; startedAt: string }>;
  /** Start times of runs in the current rate window. */
  recentStarts: string[];
  excess: { alertname: string; key: string; at: string }[];
  gamedays: GamedayRegistration[];
  counters: { received: number; started: number; repeats: number; resolved: number; unrouted: number; capped: number };
  /** Where to report bursts. */
  channel?: string;
  maxNewRunsPerMinute: number;
  rateWindowMs: number;
  /** Alerts received but not yet handled when the history was continued as new. */
  pending?: AlertEnvelope[];
}

export interface IntakeView extends IntakeState {
  queued: number;
}

/** One webhook delivery: its alerts plus the current limits from config. */
export interface AlertBatch {
  envelopes: AlertEnvelope[];
  maxNewRunsPerMinute: number;
  /** The window the cap counts over; one minute unless a test shortens it. */
  rateWindowMs?: number;
  channel?: string;
}

export const alertsSignal = defineSignal<[AlertBatch]>('alerts');
export const gamedayStartedSignal = defineSignal<[GamedayRegistration]>('gamedayStarted');
export const gamedayEndedSignal = defineSignal<[{ workflowId: string }]>('gamedayEnded');
export const intakeQuery = defineQuery<IntakeView>('intake');

/** One intake per task queue (a deployment, or a test of its own). */
export const intakeWorkflowId = (taskQueue: string): string => `nightshift-alert-intake-${taskQueue}`;
