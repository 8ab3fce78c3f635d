// Which Slack the processes talk to, resolved once from config: real Slack
// (every credential it needs present, or a ConfigError naming each missing
// one) or the local stand-in (its own token and signing secret).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.ts';
import { DEFAULT_CHANNELS } from '../slack-standin/index.ts';

export interface SlackSettings {
  mode: 'slack' | 'standin';
  botToken: string;
  /** Verifies requests in HTTP mode (in Socket Mode Slack's socket is authenticated by the app token). */
  signingSecret: string;
  appToken?: string;
  socketMode: boolean;
  /** Where runs started from Slack post their thread. */
  channel: string;
  /** Web API base URL; undefined means Slack's own. */
  apiUrl?: string;
  standin: { host: string; port: number; url: string };
}

type Secret = 'botToken' | 'signingSecret' | 'appToken';

const ENV: Record<Secret, string> = { botToken: 'SLACK_BOT_TOKEN', signingSecret: 'SLACK_SIGNING_SECRET', appToken: 'SLACK_APP_TOKEN' };

export function resolveSlack(config: Config): SlackSettings {
  const slack = config.slack;
  const problems: string[] = [];
  const secret = (name: Secret): string | undefined => {
    const file = slack[`${name}File`];
    if (slack[name] || !file) return slack[name];
    try {
      const value = readFileSync(file, 'utf8').trim();
      if (!value) problems.push(`${ENV[name]}_FILE ${file} is empty`);
      return value || undefined;
    } catch (err) {
      problems.push(`${ENV[name]}_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      return undefined;
    }
  };
  const given = { botToken: secret('botToken'), signingSecret: secret('signingSecret'), appToken: secret('appToken') };
  const anyGiven = Object.values(given).some(Boolean) || problems.length > 0;
  const mode = slack.mode === 'auto' ? (anyGiven ? 'slack' : 'standin') : slack.mode;
  const standinUrl = `http://${slack.standin.host}:${slack.standin.port}`;
  const standin = { host: slack.standin.host, port: slack.standin.port, url: standinUrl };

  if (mode === 'standin') {
    return {
      mode,
      botToken: slack.standin.token ?? `xoxb-standin-${randomBytes(12).toString('hex')}`,
      signingSecret: slack.standin.signingSecret ?? randomBytes(24).toString('hex'),
      socketMode: false,
      channel: slack.channel ?? DEFAULT_CHANNELS[0]?.id ?? 'C0INCIDENTS',
      apiUrl: slack.apiUrl ?? `${standinUrl}/api/`,
      standin,
    };
  }
  const need = (name: Secret) => {
    if (!given[name]) problems.push(`${ENV[name]} (or ${ENV[name]}_FILE) is missing`);
  };
  need('botToken');
  need(slack.socketMode ? 'appToken' : 'signingSecret');
  if (!slack.channel) problems.push('NIGHTSHIFT_SLACK_CHANNEL (the channel id for incident threads) is missing');
  if (problems.length > 0 || !given.botToken || !slack.channel) {
    throw new ConfigError(`Slack mode needs its credentials:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    mode,
    botToken: given.botToken,
    signingSecret: given.signingSecret ?? '',
    ...(given.appToken ? { appToken: given.appToken } : {}),
    socketMode: slack.socketMode,
    channel: slack.channel,
    ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
    standin,
  };
}
