// The alert intake: every Alertmanager notification is signalled here. It
// starts one run per alert (per dedupe key), passes repeats and resolutions to
// the run it started, caps new runs per minute (reporting the excess in one
// Slack message), and lets a real incident pre-empt a game day on the same
// service. State is carried across continue-as-new, so nothing is forgotten.
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
  type IntakeState,
} from './messages.ts';
import { realIncidentSignal } from '../gameday/messages.ts';

const { notify } = controlActivities(presets.short);

const KEEP_RUNS_MS = 24 * 3_600_000;
const EVENTS_PER_HISTORY = 400;

export async function alertIntakeWorkflow(state: IntakeState): Promise<void> {
  const queue: AlertEnvelope[] = state.pending ?? [];
  delete state.pending;
  let handled = 0;
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

  while (handled < EVENTS_PER_HISTORY) {
    const flushAt = firstExcessAt(state) + state.rateWindowMs;
    const waitMs = state.excess.length ? Math.max(0, flushAt - Date.now()) : undefined;
    if (waitMs === undefined) await wf.condition(() => queue.length > 0);
    else await wf.condition(() => queue.length > 0, waitMs);
    if (state.excess.length && Date.now() >= flushAt) await reportExcess(state);
    while (queue.length > 0 && handled < EVENTS_PER_HISTORY) {
      const envelope = queue.shift() as AlertEnvelope;
      await handle(state, envelope);
      handled += 1;
    }
  }
  // Keep histories short: carry the state (and anything still queued) into a new run.
  await wf.condition(wf.allHandlersFinished);
  prune(state);
  await wf.continueAsNew<typeof alertIntakeWorkflow>({ ...state, pending: queue });
}

async function handle(state: IntakeState, envelope: AlertEnvelope): Promise<void> {
  state.counters.received += 1;
  if (!envelope.run) {
    state.counters.unrouted += 1;
    return;
  }
  const existing = state.runs[envelope.key];
  if (existing) {
    state.counters[envelope.status === 'resolved' ? 'resolved' : 'repeats'] += 1;
    await tellRun(existing.workflowId, envelope);
    return;
  }
  if (envelope.status === 'resolved') {
    state.counters.resolved += 1;
    return; // resolved before any run started: nothing to tell
  }
  const now = Date.now();
  state.recentStarts = state.recentStarts.filter((at) => now - Date.parse(at) < state.rateWindowMs);
  if (state.recentStarts.length >= state.maxNewRunsPerMinute) {
    state.counters.capped += 1;
    state.excess.push({ alertname: envelope.alertname, key: envelope.key, at: new Date(now).toISOString() });
    return;
  }
  try {
    await wf.startChild<typeof runbookWorkflow>('runbookWorkflow', {
      workflowId: envelope.run.workflowId,
      args: [envelope.run.input],
      parentClosePolicy: 'ABANDON',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Started before (an earlier intake history); treat it as ours.
  }
  state.runs[envelope.key] = { workflowId: envelope.run.workflowId, startedAt: new Date(now).toISOString() };
  state.recentStarts.push(new Date(now).toISOString());
  state.counters.started += 1;
  await preemptGameday(state, envelope);
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

async function reportExcess(state: IntakeState): Promise<void> {
  const excess = state.excess;
  state.excess = [];
  const byName = new Map<string, number>();
  for (const item of excess) byName.set(item.alertname, (byName.get(item.alertname) ?? 0) + 1);
  const list = [...byName.entries()].map(([name, count]) => `${name} ×${count}`).join(', ');
  const message =
    `:rotating_light: Alert burst: ${excess.length} alert(s) did not start a run because ` +
    `${state.maxNewRunsPerMinute} new runs had already started within ${Math.round(state.rateWindowMs / 1000)} s: ${list}. They are not lost: ` +
    'Alertmanager will notify again, and `nightshift run` starts one by hand.';
  try {
    await notify({
      params: { message, ...(state.channel ? { channel: state.channel } : {}) },
      context: {
        workflowId: wf.workflowInfo().workflowId,
        runbook: 'alert-intake',
        stepId: 'burst',
        key: `burst/${excess[0]?.at ?? ''}`,
      },
    });
  } catch (err) {
    wf.log.error('could not report an alert burst', { error: (err as Error).message, count: excess.length });
  }
}

function firstExcessAt(state: IntakeState): number {
  const first = state.excess[0];
  return first ? Date.parse(first.at) : Date.now();
}

function prune(state: IntakeState): void {
  const now = Date.now();
  for (const [key, run] of Object.entries(state.runs)) {
    if (now - Date.parse(run.startedAt) > KEEP_RUNS_MS) delete state.runs[key];
  }
}
