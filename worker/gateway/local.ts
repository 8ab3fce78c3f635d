// Wiring shared by `nightshift dev`, `gateway` and `worker`: the Slack client
// for the activities, and the stand-in when there is no real Slack.
import type { Logger as Pino } from 'pino';
import { createSlackClient, slackActivityDeps } from '../../activities/index.ts';
import type { Config } from '../config.ts';
import { startStandin, type Standin } from '../slack-standin/index.ts';
import { SLACK_PATH } from './app.ts';
import type { SlackSettings } from './settings.ts';

/** Activity deps that publish runs to this Slack (or stand-in). */
export function slackActivityDepsFor(slack: SlackSettings, log: Pino) {
  const client = createSlackClient({ token: slack.botToken, ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}), log });
  return slackActivityDeps(client, slack.channel);
}

/** Start the stand-in in this process when Slack is the stand-in; its page sends to our gateway. */
export async function startLocalStandin(
  config: Config,
  slack: SlackSettings,
  log?: Pino,
): Promise<Standin | undefined> {
  if (slack.mode !== 'standin') return undefined;
  return startStandin({
    ...(log ? { log: log.child({ component: 'slack-standin' }) } : {}),
    port: slack.standin.port,
    host: slack.standin.host,
    ...(slack.standin.publicUrl ? { publicUrl: slack.standin.publicUrl } : {}),
    token: slack.botToken,
    signingSecret: slack.signingSecret,
    gatewayUrl: `http://127.0.0.1:${config.http.port}${SLACK_PATH}`,
  });
}
