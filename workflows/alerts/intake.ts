// The alert intake: every Alertmanager notification is signalled here. It
// starts one run per alert (per dedupe key), passes repeats and resolutions to
// the run it started, caps new runs per minute (reporting the excess in one
// Slack message), and lets a real incident pre-empt a game day on the same
// service. State is carried across continue-as-new, so nothing is forgotten,
// and it stays bounded: capped alerts are counts, remembered runs are capped.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { controlActivities } from '../activities.ts';
import { presets } from '../presets.ts';
import { alertSignal } from '../runbook/messages.ts';
import type { runbookWorkflow } from '../runbook/workflow.ts';
import {
  alertsSignal,
  gamedayEndedSignal,
  gamedayStartedSignal,
  intakeQuery,
  type AlertEnvelope,
  type BurstCount,
  type IntakeState,
} from './messages.ts';
import { realIncidentSignal } from '../gameday/messages.ts';

const { notify } = controlActivities(presets.short);
const { startAlertRun } = controlActivities(presets.alertStart);

/**
 * Histories from this patch on keep bounded state (burst counts, capped run
 * memory) and count only alerts that made commands towards continue-as-new;
 * older histories replay as they ran.
 */
export const INTAKE_BOUNDED_PATCH = 'alert-intake-bounded';
/** Runs started by runbook name through the startAlertRun activity, instead of a child carrying the compiled runbook. */
export const ALERT_RUNS_BY_NAME_PATCH = 'alert-runs-by-name';

const KEEP_RUNS_MS = 24 * 3_600_000;
/** Dedupe memory kept across continue-as-new; an older run is still found by its id (REJECT_DUPLICATE). */
export const MAX_REMEMBERED_RUNS = 1_000;
/** Alert names a burst report lists by name; the rest are counted together. */
export const MAX_BURST_NAMES = 20;
/** Before the bounded patch: alerts handled per history. */
const ALERTS_PER_HISTORY = 400;
/** With it: alerts that made commands (a start, a signal) per history; capped and unrouted ones cost none. */
const ACTIONS_PER_HISTORY = 300;

export async function alertIntakeWorkflow(state: IntakeState): Promise<void> {
  const bounded = wf.patched(INTAKE_BOUNDED_PATCH);
  const queue: AlertEnvelope[] = state.pending ?? [];
  delete state.pending;
  if (bounded) foldLegacyExcess(state);
  let spent = 0;
  wf.setHandler(alertsSignal, (batch) => {
    state.maxNewRunsPerMinute = batch.maxNewRunsPerMinute;
    state.rateWindowMs = batch.rateWindowMs ?? 60_000;
    if (batch.channel) state.channel = batch.channel;
    queue.push(...batch.envelopes);
  });
  wf.setHandler(gamedayStartedSignal, (registration) => {
    state.gamedays = [...state.gamedays.filter((g) => g.workflowId !== registration.workflowId), registration];
  });
  wf.setHandler(gamedayEndedSignal, ({ workflowId }) => {
    state.gamedays = state.gamedays.filter((g) => g.workflowId !== workflowId);
  });
  wf.setHandler(intakeQuery, () => ({ ...state, queued: queue.length }));

  const budget = bounded ? ACTIONS_PER_HISTORY : ALERTS_PER_HISTORY;
  const room = () => spent < budget && !(bounded && wf.workflowInfo().continueAsNewSuggested);
  while (room()) {
    const flushAt = firstExcessAt(state) + state.rateWindowMs;
    const waitMs = hasExcess(state) ? Math.max(0, flushAt - Date.now()) : undefined;
    if (waitMs === undefined) await wf.condition(() => queue.length > 0);
    else await wf.condition(() => queue.length > 0, waitMs);
    if (hasExcess(state) && Date.now() >= flushAt) await reportExcess(state);
    while (queue.length > 0 && room()) {
      const envelope = queue.shift() as AlertEnvelope;
      const acted = await handle(state, envelope, bounded);
      spent += bounded ? Number(acted) : 1;
    }
  }
  // Keep histories short: carry the state (and anything still queued) into a new run.
  await wf.condition(wf.allHandlersFinished);
  prune(state, bounded);
  await wf.continueAsNew<typeof alertIntakeWorkflow>({ ...state, pending: queue });
}

/** Handle one alert; true when it made commands (a run started, a signal sent). */
async function handle(state: IntakeState, envelope: AlertEnvelope, bounded: boolean): Promise<boolean> {
  state.counters.received += 1;
  if (!envelope.run) {
    state.counters.unrouted += 1;
    return false;
  }
  const existing = state.runs[envelope.key];
  if (existing) {
    state.counters[envelope.status === 'resolved' ? 'resolved' : 'repeats'] += 1;
    await tellRun(existing.workflowId, envelope);
    return true;
  }
  if (envelope.status === 'resolved') {
    state.counters.resolved += 1;
    return false; // resolved before any run started: nothing to tell
  }
  const now = Date.now();
  state.recentStarts = state.recentStarts.filter((at) => now - Date.parse(at) < state.rateWindowMs);
  if (state.recentStarts.length >= state.maxNewRunsPerMinute) {
    state.counters.capped += 1;
    if (bounded) countExcess(state, envelope.alertname, now);
    else state.excess.push({ alertname: envelope.alertname, key: envelope.key, at: new Date(now).toISOString() });
    return false;
  }
  if (!(await startRun(state, envelope))) return true;
  state.runs[envelope.key] = { workflowId: envelope.run.workflowId, startedAt: new Date(now).toISOString() };
  state.recentStarts.push(new Date(now).toISOString());
  state.counters.started += 1;
  await preemptGameday(state, envelope);
  return true;
}

/** Start the alert's run; false when it cannot be (its runbook or parameters are no longer valid). */
async function startRun(state: IntakeState, envelope: AlertEnvelope): Promise<boolean> {
  const run = envelope.run;
  if (run && 'runbook' in run && wf.patched(ALERT_RUNS_BY_NAME_PATCH)) {
    try {
      // Already started (a repeated start, an earlier intake history) counts as ours.
      await startAlertRun({
        workflowId: run.workflowId,
        runbook: run.runbook,
        params: run.params,
        ...(run.channel ? { channel: run.channel } : {}),
        alert: {
          alertname: envelope.alertname,
          fingerprint: envelope.fingerprint,
          startsAt: envelope.startsAt,
          labels: envelope.labels,
        },
      });
      return true;
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      state.counters.failed = (state.counters.failed ?? 0) + 1;
      wf.log.error('could not start the run for an alert', {
        workflowId: run.workflowId,
        runbook: run.runbook,
        error: err instanceof wf.ActivityFailure && err.cause ? err.cause.message : (err as Error).message,
      });
      return false;
    }
  }
  if (!run || !('input' in run))
    throw wf.ApplicationFailure.nonRetryable(`alert ${envelope.key} names no runbook`, 'InvalidInput');
  try {
    await wf.startChild<typeof runbookWorkflow>('runbookWorkflow', {
      workflowId: run.workflowId,
      args: [run.input],
      parentClosePolicy: 'ABANDON',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Started before (an earlier intake history); treat it as ours.
  }
  return true;
}

async function tellRun(workflowId: string, envelope: AlertEnvelope): Promise<void> {
  try {
    await wf.getExternalWorkflowHandle(workflowId).signal(alertSignal, {
      status: envelope.status,
      fingerprint: envelope.fingerprint,
      at: envelope.receivedAt,
    });
  } catch (err) {
    // The run has finished; a repeat of its alert needs nothing more.
    wf.log.info('alert for a finished run', { workflowId, status: envelope.status, error: (err as Error).message });
  }
}

/** A real alert (not raised by a game day) on a service a game day is rehearsing on wins. */
async function preemptGameday(state: IntakeState, envelope: AlertEnvelope): Promise<void> {
  if (envelope.labels.nightshift_gameday) return;
  const namespace = envelope.labels.namespace;
  const service = envelope.labels.service ?? envelope.labels.app ?? envelope.labels.workload;
  for (const gameday of state.gamedays) {
    const sameNamespace = namespace === undefined || namespace === gameday.namespace;
    const sameService = service === undefined || gameday.services.length === 0 || gameday.services.includes(service);
    if (!sameNamespace || !sameService) continue;
    try {
      await wf.getExternalWorkflowHandle(gameday.workflowId).signal(realIncidentSignal, {
        runId: envelope.run?.workflowId ?? '',
        alertname: envelope.alertname,
      });
    } catch (err) {
      wf.log.warn('could not pre-empt game day', { gameday: gameday.workflowId, error: (err as Error).message });
    }
  }
}

/** Count a capped alert: by name for the first MAX_BURST_NAMES names, together after that. */
function countExcess(state: IntakeState, alertname: string, now: number): void {
  const burst: BurstCount = state.burst ?? { since: new Date(now).toISOString(), count: 0, byName: {}, otherNames: 0 };
  burst.count += 1;
  if (Object.hasOwn(burst.byName, alertname)) burst.byName[alertname] = (burst.byName[alertname] ?? 0) + 1;
  else if (Object.keys(burst.byName).length < MAX_BURST_NAMES) burst.byName[alertname] = 1;
  else burst.otherNames += 1;
  state.burst = burst;
}

/** A history carried over from before the bounded patch: its excess list becomes counts. */
function foldLegacyExcess(state: IntakeState): void {
  for (const item of state.excess ?? []) countExcess(state, item.alertname, Date.parse(item.at));
  state.excess = [];
}

function hasExcess(state: IntakeState): boolean {
  return state.excess.length > 0 || (state.burst?.count ?? 0) > 0;
}

async function reportExcess(state: IntakeState): Promise<void> {
  const excess = state.excess;
  const burst = state.burst;
  state.excess = [];
  delete state.burst;
  let count: number;
  let list: string;
  let firstAt: string;
  if (burst) {
    count = burst.count;
    firstAt = burst.since;
    const named = Object.entries(burst.byName)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([name, n]) => `${name} ×${n}`);
    list = [...named, ...(burst.otherNames ? [`${burst.otherNames} more of other names`] : [])].join(', ');
  } else {
    count = excess.length;
    firstAt = excess[0]?.at ?? '';
    const byName = new Map<string, number>();
    for (const item of excess) byName.set(item.alertname, (byName.get(item.alertname) ?? 0) + 1);
    list = [...byName.entries()].map(([name, n]) => `${name} ×${n}`).join(', ');
  }
  const message =
    `:rotating_light: Alert burst: ${count} alert(s) did not start a run because ` +
    `${state.maxNewRunsPerMinute} new runs had already started within ${Math.round(state.rateWindowMs / 1000)} s: ${list}. They are not lost: ` +
    'Alertmanager will notify again, and `nightshift run` starts one by hand.';
  try {
    await notify({
      params: { message, ...(state.channel ? { channel: state.channel } : {}) },
      context: {
        workflowId: wf.workflowInfo().workflowId,
        runbook: 'alert-intake',
        stepId: 'burst',
        key: `burst/${firstAt}`,
      },
    });
  } catch (err) {
    wf.log.error('could not report an alert burst', { error: (err as Error).message, count });
  }
}

function firstExcessAt(state: IntakeState): number {
  const first = state.burst?.since ?? state.excess[0]?.at;
  return first ? Date.parse(first) : Date.now();
}

function prune(state: IntakeState, bounded: boolean): void {
  const now = Date.now();
  for (const [key, run] of Object.entries(state.runs)) {
    if (now - Date.parse(run.startedAt) > KEEP_RUNS_MS) delete state.runs[key];
  }
  if (!bounded) return;
  const newest = Object.entries(state.runs)
    .sort(([a, x], [b, y]) => Date.parse(y.startedAt) - Date.parse(x.startedAt) || a.localeCompare(b))
    .slice(0, MAX_REMEMBERED_RUNS);
  state.runs = Object.fromEntries(newest);
}
