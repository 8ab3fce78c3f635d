// How the processes are wired: the clients every control-worker activity
// gets, and the routes the gateway mounts beside Slack. One place, so `dev`,
// `demo`, `worker` and `gateway` all run the same thing.
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import type { ActivityDeps } from '../activities/index.ts';
import type { SyntheticPayload } from '../activities/gameday/index.ts';
import { alertmanagerRoute, RunbookCache, submitAlerts, webhookSchema } from './alerts/index.ts';
import { catalogue } from './catalogue.ts';
import type { Config } from './config.ts';
import { slackActivityDepsFor, type Route, type SlackSettings } from './gateway/index.ts';

/** Every client the control worker's activities use. */
export function controlActivityDeps(config: Config, log: Pino, client: Client, slack: SlackSettings): ActivityDeps {
  const runbooks = new RunbookCache(catalogue());
  return {
    ...slackActivityDepsFor(slack, log),
    temporal: client,
    gameday: {
      client,
      taskQueue: config.temporal.taskQueue,
      submitAlerts: (payload: SyntheticPayload) => submitAlerts(webhookSchema.parse(payload), { config, client, runbooks: runbooks.get, channel: slack.channel }),
    },
  };
}

/** Routes the gateway serves beside Slack: the Alertmanager webhook. */
export function gatewayRoutes(config: Config, log: Pino, client: Client, slack: SlackSettings): Route[] {
  const runbooks = new RunbookCache(catalogue());
  return [alertmanagerRoute({ config, client, runbooks: runbooks.get, log, channel: slack.channel })];
}
