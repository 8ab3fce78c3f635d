// Activities the game-day workflow calls on the control worker: raising its
// alert through the real alert path, telling the alert intake that a game day
// is on, following and (when asked) approving the runbook it started. The
// Temporal side of each (signals, queries, updates to other workflows) is
// injected by the worker as a GamedayPort, as the alert path is.
import { createHash } from 'node:crypto';
import type { Actor, GamedayRegistration, RunProgress } from '../../model/index.ts';

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

/** What the game-day activities need of Temporal and the alert path (worker/gameday-port.ts). */
export interface GamedayPort {
  /** The alert path: route the payload and hand it to the intake; the run it started, or why none. */
  submitAlert(payload: SyntheticPayload): Promise<{ runId?: string; unrouted?: string }>;
  registerGameday(registration: GamedayRegistration): Promise<void>;
  unregisterGameday(workflowId: string): Promise<void>;
  /** Undefined while the run does not exist yet (the intake starts it a moment later). */
  runProgress(runId: string): Promise<RunProgress | undefined>;
  decide(
    runId: string,
    request: { step: string; option: string; by: Actor & { roles: string[] }; updateId: string },
  ): Promise<{ accepted: boolean; reason?: string }>;
  /** Signals abort when the run is still running. */
  abortRun(runId: string, reason: string, by: Actor): Promise<void>;
}

export interface GamedayDeps {
  gameday?: GamedayPort;
}

export function createGamedayActivities(deps: GamedayDeps) {
  const port = (): GamedayPort => {
    if (!deps.gameday) throw new Error('game-day activities need a Temporal client (the control worker wires one)');
    return deps.gameday;
  };

  return {
    async raiseGamedayAlert(arg: {
      gamedayId: string;
      alertname: string;
      labels: Record<string, string>;
    }): Promise<{ runId?: string; unrouted?: string }> {
      return port().submitAlert(syntheticAlert(arg));
    },

    async registerGameday(arg: GamedayRegistration): Promise<void> {
      await port().registerGameday(arg);
    },

    async unregisterGameday(arg: { workflowId: string }): Promise<void> {
      await port().unregisterGameday(arg.workflowId);
    },

    async runbookProgress(arg: { runId: string }): Promise<RunProgress | undefined> {
      return port().runProgress(arg.runId);
    },

    async approveRemediation(arg: {
      runId: string;
      step: string;
      option: string;
      gamedayId: string;
    }): Promise<{ accepted: boolean; reason?: string }> {
      return port().decide(arg.runId, {
        step: arg.step,
        option: arg.option,
        by: {
          id: `gameday:${arg.gamedayId}`,
          name: 'game-day operator',
          via: 'gameday',
          roles: ['responder', 'approver'],
        },
        updateId: `${arg.gamedayId}/approve/${arg.step}`,
      });
    },

    async abortRun(arg: { runId: string; reason: string }): Promise<void> {
      await port().abortRun(arg.runId, arg.reason, { id: 'gameday', via: 'gameday' });
    },
  };
}

/** The game day's alert as Alertmanager would post it, with a stable fingerprint. */
export function syntheticAlert(arg: {
  gamedayId: string;
  alertname: string;
  labels: Record<string, string>;
}): SyntheticPayload {
  const labels = { ...arg.labels, alertname: arg.alertname, nightshift_gameday: arg.gamedayId };
  const fingerprint = createHash('sha256').update(`${arg.gamedayId}/${arg.alertname}`).digest('hex').slice(0, 16);
  return {
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
}
