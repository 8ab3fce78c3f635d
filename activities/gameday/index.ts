// Activities the game-day workflow calls on the control worker: raising its
// alert through the real alert path, telling the alert intake that a game day
// is on, following and (when asked) approving the runbook it started.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { gamedayEndedSignal, gamedayStartedSignal, intakeWorkflowId, type AlertEnvelope } from '../../workflows/alerts/messages.ts';
import { newIntakeState } from '../../workflows/alerts/state.ts';
import type { RunProgress } from '../../workflows/gameday/activities.ts';
import { abortSignal, decideUpdate, statusQuery } from '../../workflows/runbook/messages.ts';

/** An Alertmanager v4 payload, as the alert path takes it. */
export interface SyntheticPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

export interface GamedayDeps {
  gameday?: {
    client: Client;
    taskQueue: string;
    /** The alert path: route the payload and hand it to the intake (worker/alerts submitAlerts). */
    submitAlerts: (payload: SyntheticPayload) => Promise<AlertEnvelope[]>;
  };
}

export function createGamedayActivities(deps: GamedayDeps) {
  const temporal = () => {
    if (!deps.gameday) throw new Error('game-day activities need a Temporal client (the control worker wires one)');
    return deps.gameday;
  };
  const intake = (signal: typeof gamedayStartedSignal | typeof gamedayEndedSignal, arg: never) => {
    const t = temporal();
    return t.client.workflow.signalWithStart('alertIntakeWorkflow', {
      workflowId: intakeWorkflowId(t.taskQueue),
      taskQueue: t.taskQueue,
      args: [newIntakeState()],
      signal,
      signalArgs: [arg],
    });
  };

  return {
    async raiseGamedayAlert(arg: { gamedayId: string; alertname: string; labels: Record<string, string> }) {
      const labels = { ...arg.labels, alertname: arg.alertname, nightshift_gameday: arg.gamedayId };
      const fingerprint = createHash('sha256').update(`${arg.gamedayId}/${arg.alertname}`).digest('hex').slice(0, 16);
      const payload: SyntheticPayload = {
        version: '4',
        groupKey: `{}:{alertname="${arg.alertname}",nightshift_gameday="${arg.gamedayId}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'nightshift-gameday',
        groupLabels: { alertname: arg.alertname },
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: '',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary: `raised by game day ${arg.gamedayId}` },
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint,
          },
        ],
      };
      const [envelope] = await temporal().submitAlerts(payload);
      return envelope?.run ? { runId: envelope.run.workflowId } : { unrouted: envelope?.unrouted ?? 'not routed' };
    },

    async registerGameday(arg: { workflowId: string; namespace: string; services: string[] }): Promise<void> {
      await intake(gamedayStartedSignal, arg as never);
    },

    async unregisterGameday(arg: { workflowId: string }): Promise<void> {
      await intake(gamedayEndedSignal, arg as never);
    },

    async runbookProgress(arg: { runId: string }): Promise<RunProgress | undefined> {
      try {
        const status = await temporal().client.workflow.getHandle(arg.runId).query(statusQuery);
        return {
          state: status.state,
          ...(status.diagnosis ? { diagnosis: status.diagnosis } : {}),
          ...(status.pendingDecision ? { pendingDecision: status.pendingDecision } : {}),
        };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined; // started by the intake a moment from now
        throw err;
      }
    },

    async approveRemediation(arg: { runId: string; step: string; option: string; gamedayId: string }) {
      try {
        await temporal().client.workflow.getHandle(arg.runId).executeUpdate(decideUpdate, {
          args: [{ step: arg.step, option: arg.option, by: { id: `gameday:${arg.gamedayId}`, name: 'game-day operator', via: 'gameday', roles: ['responder', 'approver'] } }],
          updateId: `${arg.gamedayId}/approve/${arg.step}`,
        });
        return { accepted: true };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return { accepted: false, reason: err.cause?.message ?? err.message };
        throw err;
      }
    },

    async abortRun(arg: { runId: string; reason: string }): Promise<void> {
      const handle = temporal().client.workflow.getHandle(arg.runId);
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.signal(abortSignal, { reason: arg.reason, by: { id: 'gameday', via: 'gameday' } });
    },
  };
}
