// A game day: check the steady state (refuse if it does not hold, or inside
// a blackout), announce, inject the fault as a child workflow, start the
// runbook the way an alert would, watch stop conditions and the runbook,
// let the fault revert, check the steady state returns, and score it.
import * as wf from '@temporalio/workflow';
import type { StepCall } from '../../model/index.ts';
import { formatDuration } from '../../model/index.ts';
import { evaluate } from '../../runbooks/index.ts';
import { faultAbortSignal, type FaultStatus } from '../fault/messages.ts';
import type { faultWorkflow } from '../fault/workflow.ts';
import { callProbe, gameday } from './activities.ts';
import { activeBlackout } from './blackout.ts';
import type { GamedayInput } from './experiment.ts';
import {
  gamedayStatusQuery,
  realIncidentSignal,
  stopGamedaySignal,
  type GamedayState,
  type GamedayStatus,
} from './messages.ts';
import { describeScore, score, type Observed } from './score.ts';

/** How long the game day's symptom holds before its alert fires (as an alert rule's `for:`). */
export const GAMEDAY_ALERT_FOR_MS = 15_000;
/** Game days recorded before the alert waited for its `for:` replay without the wait. */
export const GAMEDAY_ALERT_FOR_PATCH = 'gameday-alert-for';

const PROGRESS_EVERY_MS = 2000;

export async function gamedayWorkflow(input: GamedayInput): Promise<GamedayStatus> {
  const id = wf.workflowInfo().workflowId;
  const status: GamedayStatus = {
    experiment: input.experiment.name,
    state: 'checking',
    faultId: `${id}-fault`,
    timeline: [],
    startedAt: new Date().toISOString(),
  };
  const observed: Observed = { expected: input.expect.hypothesis, withinMs: input.expect.withinMs };
  let stop: { outcome: 'aborted' | 'yielded' | 'refused'; reason: string } | undefined;
  wf.setHandler(gamedayStatusQuery, () => status);
  wf.setHandler(realIncidentSignal, ({ runId, alertname }) => {
    stop ??= {
      outcome: 'yielded',
      reason: `a real incident (${alertname}) arrived for the same service; the game day yielded to run ${runId}`,
    };
  });
  wf.setHandler(stopGamedaySignal, ({ reason, by }) => {
    stop ??= { outcome: 'aborted', reason: `stopped${by ? ` by ${by}` : ''}: ${reason}` };
  });

  const note = (event: string, detail?: string) =>
    status.timeline.push({ at: new Date().toISOString(), event, ...(detail ? { detail } : {}) });
  const say = (message: string, step: string) =>
    gameday
      .notify({ params: { message, ...(input.channel ? { channel: input.channel } : {}) }, context: context(id, step) })
      .catch((err: unknown) => wf.log.warn('could not tell Slack', { error: (err as Error).message }));

  const blackout = input.ignoreBlackouts ? undefined : activeBlackout(input.blackouts, new Date());
  if (blackout) return refuse(status, observed, `refused to start: now is inside a ${blackout}`, say);
  const steady = await check(input.steadyState, id, 'steady-state-before');
  note('steady state checked', steady.why);
  if (!steady.ok)
    return refuse(status, observed, `refused to start: the steady state does not hold (${steady.why})`, say);

  await say(
    `:test_tube: Game day *${input.experiment.title}* is starting (${input.trigger.via}, ${input.trigger.by}): ` +
      `${input.fault.spec.kind} fault on ${describeTarget(input)} for ${input.fault.spec.duration}. ` +
      `Expecting *${input.expect.runbook}* to name *${input.expect.hypothesis}* within ${formatDuration(input.expect.withinMs)}.`,
    'announce',
  );
  const namespace =
    'namespace' in input.fault.spec.target
      ? input.fault.spec.target.namespace
      : (input.expect.alert.labels.namespace ?? '');
  await gameday.registerGameday({ workflowId: id, namespace, services: services(input) });
  let fault: FaultStatus | undefined;
  try {
    setState(status, 'injecting');
    const child = await wf.startChild<typeof faultWorkflow>('faultWorkflow', {
      workflowId: status.faultId,
      args: [input.fault],
      parentClosePolicy: 'REQUEST_CANCEL',
    });
    observed.injectedAt = Date.now();
    note('fault started', status.faultId);
    let childDone = false;
    const result = child.result().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    void result.then(() => (childDone = true));

    // An alert fires once its condition has held for a while (Alertmanager's `for:`), not the instant the
    // fault starts: a runbook started earlier gathers the moment of injection, before the symptom shows.
    if (wf.patched(GAMEDAY_ALERT_FOR_PATCH)) await wf.condition(() => childDone, GAMEDAY_ALERT_FOR_MS);

    const raised = await gameday.raiseGamedayAlert({
      gamedayId: id,
      alertname: input.expect.alert.alertname,
      labels: input.expect.alert.labels,
    });
    if (raised.runId) {
      status.runId = raised.runId;
      note('alert raised; runbook started', raised.runId);
    } else {
      note('alert raised but no runbook started', raised.unrouted);
    }

    setState(status, 'watching');
    let nextProgress = Date.now();
    let nextStopCheck = Date.now();
    let approved = false;
    while (!childDone) {
      if (stop) {
        note(stop.outcome === 'yielded' ? 'yielding to a real incident' : 'stopping', stop.reason);
        await child.signal(faultAbortSignal, { reason: stop.reason, by: { id: 'gameday', via: 'gameday' } });
        break;
      }
      const now = Date.now();
      if (input.stopConditions && now >= nextStopCheck) {
        nextStopCheck = now + input.stopConditions.everyMs;
        const tripped = await stopTripped(input.stopConditions, id);
        if (tripped) {
          stop = { outcome: 'aborted', reason: `stop condition tripped: ${tripped}` };
          continue;
        }
      }
      if (status.runId && now >= nextProgress && (!observed.named || (input.expect.autoApprove && !approved))) {
        nextProgress = now + PROGRESS_EVERY_MS;
        const progress = await gameday.runbookProgress({ runId: status.runId });
        const top = progress?.diagnosis?.hypotheses[0];
        if (top && !observed.named) {
          observed.named = { id: top.id, confidence: top.confidence };
          observed.diagnosedAt = Date.now();
          note('runbook diagnosis', `${top.id} (${Math.round(top.confidence * 100)}%)`);
        }
        const pending = progress?.pendingDecision;
        const option = pending?.options[0];
        if (input.expect.autoApprove && pending && option && !approved) {
          const answer = await gameday.approveRemediation({
            runId: status.runId,
            step: pending.step,
            option: option.id,
            gamedayId: id,
          });
          approved = answer.accepted;
          note(
            answer.accepted ? 'remediation approved by the game day' : 'remediation not approved',
            answer.accepted ? option.label : answer.reason,
          );
        }
      }
      const waits = [nextStopCheck, status.runId ? nextProgress : Number.POSITIVE_INFINITY].map((t) =>
        Math.max(100, t - Date.now()),
      );
      await wf.condition(() => childDone || stop !== undefined, Math.min(...waits, 5000));
    }
    const outcome = await result;
    if ('value' in outcome) fault = outcome.value;
    else fault = failedFaultStatus(outcome.error);
    status.fault = fault;
    if (fault?.state === 'refused')
      stop ??= { outcome: 'refused', reason: `the fault was refused: ${fault.problems.join('; ')}` };
    if (fault?.verdict)
      note(
        `fault ${fault.verdict.outcome}`,
        `dropped ${fault.verdict.counters.dropped ?? 0}, delayed ${fault.verdict.counters.delayed ?? 0}`,
      );
    note(
      'fault reverted',
      fault?.end ? `${fault.end.reason}${fault.end.detail ? `: ${fault.end.detail}` : ''}` : undefined,
    );
  } finally {
    await wf.CancellationScope.nonCancellable(() => gameday.unregisterGameday({ workflowId: id }));
  }

  setState(status, 'recovering');
  const recovered = await waitForSteadyState(input, id);
  if (recovered) {
    observed.recoveredAt = Date.now();
    note('steady state back');
  } else {
    note('steady state did not return', `within ${formatDuration(input.steadyState.settleMs)}`);
  }
  observed.errorBudget = await errorBudget(input, id, observed.injectedAt ?? Date.now());
  if (stop) observed.ended = stop;
  if (status.runId) {
    await gameday
      .abortRun({ runId: status.runId, reason: `game day ${input.experiment.name} is over` })
      .catch(() => undefined);
  }
  status.score = score(observed);
  setState(status, status.score.outcome);
  status.endedAt = new Date().toISOString();
  note('scored', status.score.outcome);
  await say(describeScore(input.experiment.title, status.score), 'score');
  return status;
}

function context(workflowId: string, step: string): StepCall['context'] {
  return { workflowId, runbook: 'gameday', stepId: step, key: `${workflowId}/${step}` };
}

function setState(status: GamedayStatus, state: GamedayState): void {
  status.state = state;
}

async function refuse(
  status: GamedayStatus,
  observed: Observed,
  reason: string,
  say: (message: string, step: string) => Promise<unknown>,
): Promise<GamedayStatus> {
  status.timeline.push({ at: new Date().toISOString(), event: 'refused', detail: reason });
  status.score = score({ ...observed, ended: { outcome: 'refused', reason } });
  status.state = 'refused';
  status.endedAt = new Date().toISOString();
  await say(`:no_entry: Game day *${status.experiment}* ${reason}.`, 'refused');
  return status;
}

interface Check {
  probe: GamedayInput['steadyState']['probe'];
  params: GamedayInput['steadyState']['params'];
  conditions: GamedayInput['steadyState']['conditions'];
}

/** Every condition must hold; `why` says what the probe saw. */
async function check(c: Check, id: string, step: string): Promise<{ ok: boolean; why: string }> {
  try {
    const result = await callProbe(c.probe, { params: c.params, context: context(id, step) });
    const failing = c.conditions.filter((cond) => !evaluate(cond, { result }));
    return {
      ok: failing.length === 0,
      why: `${summarise(result)}${failing.length ? `; failing: ${failing.map((f) => JSON.stringify(f)).join(', ')}` : ''}`,
    };
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    return { ok: false, why: `probe ${c.probe.name} failed: ${(err as Error).message}` };
  }
}

/** A description of the first stop condition that holds, or undefined. */
async function stopTripped(c: NonNullable<GamedayInput['stopConditions']>, id: string): Promise<string | undefined> {
  try {
    const result = await callProbe(c.probe, { params: c.params, context: context(id, 'stop-conditions') });
    const hit = c.conditions.find((cond) => evaluate(cond, { result }));
    return hit ? `${JSON.stringify(hit)} with ${summarise(result)}` : undefined;
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    return undefined; // a probe hiccup is not a reason to abort
  }
}

async function waitForSteadyState(input: GamedayInput, id: string): Promise<boolean> {
  const deadline = Date.now() + input.steadyState.settleMs;
  for (;;) {
    if ((await check(input.steadyState, id, 'steady-state-after')).ok) return true;
    if (Date.now() + 2000 > deadline) return false;
    await wf.sleep(2000);
  }
}

async function errorBudget(input: GamedayInput, id: string, since: number): Promise<Observed['errorBudget']> {
  const windowSeconds = Math.max(1, Math.ceil((Date.now() - since) / 1000));
  try {
    const result = (await callProbe(input.steadyState.probe, {
      params: { ...input.steadyState.params, window: `${windowSeconds}s` },
      context: context(id, 'error-budget'),
    })) as { requests?: number; failures?: number; successRate?: number };
    if (typeof result.requests !== 'number' || typeof result.failures !== 'number') return undefined;
    return {
      windowSeconds,
      requests: result.requests,
      failures: result.failures,
      successRate: result.successRate ?? 1,
    };
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    return undefined;
  }
}

function summarise(result: unknown): string {
  if (result === null || typeof result !== 'object') return String(result);
  const r = result as Record<string, unknown>;
  const parts = ['successRate', 'p95Ms', 'requests', 'failures']
    .filter((k) => typeof r[k] === 'number')
    .map((k) => `${k}=${String(r[k])}`);
  return parts.length ? parts.join(' ') : JSON.stringify(result).slice(0, 200);
}

function describeTarget(input: GamedayInput): string {
  const t = input.fault.spec.target;
  if ('namespace' in t)
    return `${t.namespace}/${
      typeof t.selector === 'string'
        ? t.selector
        : Object.entries(t.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
    }`;
  return `${t.node}/${t.interface}`;
}

/**
 * The services a game day touches: those its fault targets (the selector's values) and those its own alert
 * names (where the symptom shows). A real page on either may be this rehearsal, or hidden by it.
 */
function services(input: GamedayInput): string[] {
  const t = input.fault.spec.target;
  // A node's fault, or one chosen by a selector expression, may touch any service: every page counts.
  if (!('namespace' in t) || typeof t.selector === 'string') return [];
  const { service, app, workload } = input.expect.alert.labels;
  const alerted = [service, app, workload].filter((s): s is string => !!s);
  return [...new Set([...Object.values(t.selector), ...alerted])];
}

function failedFaultStatus(error: unknown): FaultStatus | undefined {
  const details = (error as { cause?: { details?: unknown[] } })?.cause?.details?.[0];
  return details && typeof details === 'object' ? (details as FaultStatus) : undefined;
}
