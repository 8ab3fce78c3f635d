// Which Slack the processes talk to, resolved once from config: real Slack
// when there is a bot token (every credential it needs present, or a
// ConfigError naming each missing one), else the local stand-in (its own
// token; the given SLACK_SIGNING_SECRET, or its own).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  standin: { host: string; port: number; url: string; publicUrl?: string };
}

type Secret = 'botToken' | 'signingSecret' | 'appToken';

const ENV: Record<Secret, string> = {
  botToken: 'SLACK_BOT_TOKEN',
  signingSecret: 'SLACK_SIGNING_SECRET',
  appToken: 'SLACK_APP_TOKEN',
};

/**
 * The stand-in's token and signing secret, made once per data dir and kept
 * there (mode 0600), so the stand-in, the gateway and a worker in another
 * process all agree without anyone configuring them.
 */
function standinSecrets(dataDir: string): { token: string; signingSecret: string } {
  const file = join(resolve(dataDir), 'slack-standin.json');
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { token?: unknown; signingSecret?: unknown };
    if (typeof saved.token === 'string' && typeof saved.signingSecret === 'string')
      return { token: saved.token, signingSecret: saved.signingSecret };
  } catch {
    // not there yet (or unreadable): make new ones below
  }
  const fresh = {
    token: `xoxb-standin-${randomBytes(12).toString('hex')}`,
    signingSecret: randomBytes(24).toString('hex'),
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(fresh)}\n`, { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch {
    // Another process wrote it first: use theirs.
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { token: string; signingSecret: string };
    return saved;
  }
}

export function resolveSlack(config: Config): SlackSettings {
  const slack = config.slack;
  const problems: string[] = [];
  // Secrets given as files were read by loadConfig (worker/config.ts SECRETS).
  const given = { botToken: slack.botToken, signingSecret: slack.signingSecret, appToken: slack.appToken };
  // Real Slack needs a bot token; without one it is the stand-in, which takes a given signing secret as its own.
  const mode = slack.mode === 'auto' ? (given.botToken ? 'slack' : 'standin') : slack.mode;
  const standinUrl = `http://${slack.standin.host}:${slack.standin.port}`;
  const standin = {
    host: slack.standin.host,
    port: slack.standin.port,
    url: standinUrl,
    ...(slack.standin.publicUrl ? { publicUrl: slack.standin.publicUrl } : {}),
  };

  if (mode === 'standin') {
    const shared = standinSecrets(config.dataDir);
    return {
      mode,
      botToken: slack.standin.token ?? shared.token,
      signingSecret: slack.standin.signingSecret ?? given.signingSecret ?? shared.signingSecret,
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
