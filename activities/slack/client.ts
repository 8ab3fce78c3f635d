// The Slack Web API client the activities and the gateway share. Retries are
// few and quick: an activity's retries belong to Temporal, not to the client.
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger as Pino } from 'pino';

export interface SlackClientOptions {
  token: string;
  /** Base URL of a Slack-compatible Web API (the stand-in); Slack's own by default. */
  apiUrl?: string;
  log?: Pino;
  timeoutMs?: number;
}

export function createSlackClient(options: SlackClientOptions): WebClient {
  return new WebClient(options.token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.log ? { logger: slackLogger(options.log) } : { logLevel: LogLevel.ERROR }),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: options.timeoutMs ?? 10_000,
    rejectRateLimitedCalls: false,
  });
}

/** Slack's logger interface on top of pino (the SDKs log through it; pino redacts). */
export function slackLogger(log: Pino): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const child = log.child({ component: 'slack' });
  const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ');
  return {
    debug: (...args: unknown[]) => child.debug(text(args)),
    info: (...args: unknown[]) => child.info(text(args)),
    warn: (...args: unknown[]) => child.warn(text(args)),
    error: (...args: unknown[]) => child.error(text(args)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
