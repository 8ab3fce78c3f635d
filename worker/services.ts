// How the processes are wired: the clients every control-worker activity
// gets, and the routes the gateway mounts beside Slack. One place, so `dev`,
// `demo`, `worker` and `gateway` all run the same thing.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import {
  evidenceDepsFromEnv,
  type ActivityDeps,
  type EvidenceDeps,
  type SyntheticPayload,
} from '../activities/index.ts';
import {
  alertmanagerRoute,
  alertRunPort,
  RunbookCache,
  submitAlerts,
  webhookSchema,
  type AlertWebhookDeps,
} from './alerts/index.ts';
import { catalogue } from './catalogue.ts';
import type { Config } from './config.ts';
import { stopAllFaults } from './faults.ts';
import { gamedayPort } from './gameday-port.ts';
import { faultWindows } from './report-sources.ts';
import { slackActivityDepsFor, type Route, type SlackSettings, type StopAllFaults } from './gateway/index.ts';

/** Every client the control worker's activities use (the evidence clients from the environment, read once). */
export function controlActivityDeps(
  config: Config,
  log: Pino,
  client: Client,
  slack: SlackSettings,
): ActivityDeps & { evidence: EvidenceDeps } {
  const runbooks = new RunbookCache(catalogue());
  return {
    evidence: evidenceDepsFromEnv(),
    ...slackActivityDepsFor(slack, log),
    temporal: client,
    alertRuns: alertRunPort({ client, config, runbooks: runbooks.get }),
    reports: { dir: join(config.dataDir, 'reports'), faultWindows: faultWindows(client) },
    gameday: gamedayPort({
      client,
      taskQueue: config.temporal.taskQueue,
      submitAlerts: (payload: SyntheticPayload) =>
        submitAlerts(webhookSchema.parse(payload), { config, client, runbooks: runbooks.get, channel: slack.channel }),
    }),
  };
}

/**
 * Routes the gateway serves beside Slack: the Alertmanager webhook. Only
 * `nightshift dev` and the demo say `where: 'dev'`; elsewhere the webhook
 * needs credentials (or the explicit insecure flag) or this throws.
 */
export function gatewayRoutes(
  config: Config,
  log: Pino,
  client: Client,
  slack: SlackSettings,
  where: 'dev' | 'service' = 'service',
  observe?: AlertWebhookDeps['observe'],
): Route[] {
  const runbooks = new RunbookCache(catalogue());
  return [
    alertmanagerRoute(
      { config, client, runbooks: runbooks.get, log, channel: slack.channel, ...(observe ? { observe } : {}) },
      where,
    ),
  ];
}

/** The kill switch as the gateway's `/nightshift stop-all` calls it. */
export function gatewayStopAll(config: Config, client: Client): StopAllFaults {
  return async (request) => {
    const outcome = await stopAllFaults(client, config, { by: request.by, reason: request.reason });
    const nodes = Object.entries(outcome.nodes).map(([node, r]) =>
      r.ok ? `${node}: cleared` : `${node}: unreachable (${r.error})`,
    );
    return {
      stopped: outcome.aborted.length,
      details: [...outcome.aborted.map((id) => `${id}: aborted, reverting`), ...nodes],
    };
  };
}
