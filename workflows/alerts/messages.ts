// Messages of the alert intake: the one workflow that turns Alertmanager
// notifications into runs, deduplicated and rate-capped, durably.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GamedayRegistration } from '../../model/index.ts';
import type { RunbookInput } from '../runbook/messages.ts';

/**
 * The run an alert starts, by runbook name and parameters: the runbook is
 * compiled where the run is started (the control worker's startAlertRun), so
 * it never travels through the intake's signals or carried state.
 */
export interface AlertRunByName {
  workflowId: string;
  runbook: string;
  params: Record<string, string>;
  /** Where the run publishes its thread. */
  channel?: string;
}

/** What gateways sent before runs went by name: the whole compiled input. Still started (as a child), still replayed. */
export interface LegacyAlertRun {
  workflowId: string;
  input: RunbookInput;
}

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
  run?: AlertRunByName | LegacyAlertRun;
  unrouted?: string;
}

/** Alerts the cap kept from starting a run and not yet reported: counts, never a list. */
export interface BurstCount {
  /** When the first of them was capped; the report goes out one rate window later. */
  since: string;
  count: number;
  /** By alertname, for the most frequent names (at most MAX_BURST_NAMES); the rest are counted in `otherNames`. */
  byName: Record<string, number>;
  otherNames: number;
}

export interface IntakeState {
  /** Dedupe key -> run workflow id, with the time it started (the newest MAX_REMEMBERED_RUNS of the last day). */
  runs: Record<string, { workflowId: string; startedAt: string }>;
  /** Start times of runs in the current rate window (at most the cap). */
  recentStarts: string[];
  /** Capped alerts not yet reported, as counts. */
  burst?: BurstCount;
  /** The list histories before bounded state carried instead of `burst`; always empty now. */
  excess: { alertname: string; key: string; at: string }[];
  gamedays: GamedayRegistration[];
  counters: {
    received: number;
    started: number;
    repeats: number;
    resolved: number;
    unrouted: number;
    capped: number;
    /** Runs that could not be started (their runbook or parameters no longer valid). */
    failed?: number;
  };
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
