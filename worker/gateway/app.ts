// The gateway: a Bolt app whose listeners are registered per kind (commands,
// actions), served over HTTP behind the signature edge, or over Socket Mode
// when configured; health, readiness, metrics and any extra routes beside it.
import { App, HTTPReceiver } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import { createSlackClient, slackLogger } from '../../activities/index.ts';
import type { CompiledRunbook } from '../../runbooks/index.ts';
import { catalogue } from '../catalogue.ts';
import type { Config } from '../config.ts';
import { compileRunbookByName } from '../runs.ts';
import { DEMO_ACCESS } from '../slack-standin/index.ts';
import { Access } from './access.ts';
import * as actions from './actions/index.ts';
import * as commands from './commands/index.ts';
import type { ListenerContext, StopAllFaults } from './context.ts';
import { slackEdge } from './edge.ts';
import { healthRoutes } from './health.ts';
import { InFlight } from './in-flight.ts';
import { Metrics } from '../../model/index.ts';
import { serve, type Route } from './server.ts';
import type { SlackSettings } from './settings.ts';

export const SLACK_PATH = '/slack/events';
/** How long a stopping gateway waits for Slack requests it is still carrying out (a stop-all, a decision). */
export const STOP_DRAIN_MS = 15_000;

/** Config access; with the stand-in and nobody configured, its demo people get roles. */
function accessFor(config: Config, slack: SlackSettings, log: Pino): Access {
  if (slack.mode !== 'standin' || Object.keys(config.access.users).length > 0) return new Access(config.access);
  log.info({ users: DEMO_ACCESS }, 'stand-in mode and no access.users configured: the demo people get roles');
  return new Access({ users: DEMO_ACCESS, groups: config.access.groups });
}

export interface GatewayOptions {
  config: Config;
  slack: SlackSettings;
  /** Temporal. */
  client: Client;
  log: Pino;
  /** Defaults to the runbooks/ folder (by name only) with the process catalogue. */
  runbooks?: (name: string) => CompiledRunbook;
  /** The kill switch, from the fault work; without it stop-all says it is unavailable. */
  stopAllFaults?: StopAllFaults;
  /** More routes on the same server (e.g. POST /webhooks/alertmanager). */
  routes?: Route[];
  /** Overrides config.access (the stand-in's demo people). */
  access?: Access;
  port?: number;
  host?: string;
}

export interface Gateway {
  port: number;
  url: string;
  metrics: Metrics;
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { slack, log } = options;
  const metrics = new Metrics();
  const webClient = createSlackClient({
    token: slack.botToken,
    ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
    log,
  });
  // Fails fast on a wrong token or an unreachable API, before any request arrives.
  const identity = await webClient.auth.test();
  const access = options.access ?? accessFor(options.config, slack, log);
  await access.watchGroups(webClient, log);
  const logger = slackLogger(log);
  const common = {
    token: slack.botToken,
    ...(identity.bot_id ? { botId: identity.bot_id } : {}),
    ...(identity.user_id ? { botUserId: identity.user_id } : {}),
    tokenVerificationEnabled: false,
    logger,
    ...(slack.apiUrl ? { clientOptions: { slackApiUrl: slack.apiUrl } } : {}),
  };
  const receiver = slack.socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: slack.signingSecret,
        endpoints: SLACK_PATH,
        logger,
        unhandledRequestTimeoutMillis: 2_900,
      });
  const app = receiver
    ? new App({ ...common, receiver })
    : new App({ ...common, socketMode: true, ...(slack.appToken ? { appToken: slack.appToken } : {}) });
  app.error(async (err) => {
    log.error({ err: err.message, code: err.code }, 'unhandled error in a Slack listener');
  });

  const inFlight = new InFlight();
  const ctx: ListenerContext = {
    config: options.config,
    client: options.client,
    access,
    log: log.child({ component: 'gateway' }),
    metrics,
    channel: slack.channel,
    runbooks: options.runbooks ?? ((name) => compileRunbookByName(name, catalogue())),
    ...(options.stopAllFaults ? { stopAllFaults: options.stopAllFaults } : {}),
    inFlight,
  };
  commands.register(app, ctx);
  actions.register(app, ctx);

  const slackRoute: Route[] = receiver
    ? [
        {
          method: 'POST',
          path: SLACK_PATH,
          handler: slackEdge(slack.signingSecret, receiver.requestListener, {
            reject(rejection) {
              metrics.inc('nightshift_slack_rejected_total', 'Slack requests refused at the edge', {
                status: String(rejection.status),
              });
              log.warn({ status: rejection.status, reason: rejection.reason }, 'refused a Slack request');
            },
            unhandled({ kind, text }) {
              metrics.inc('nightshift_slack_unhandled_total', 'Signed Slack requests acked without handling', {
                kind,
              });
              log.info({ kind, answer: text }, 'acked a Slack request nightshift does not handle');
            },
            failedToTell(err) {
              log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not reply to a response_url');
            },
          }),
        },
      ]
    : [];
  const port = options.port ?? options.config.http.port;
  const http = await serve(
    [...slackRoute, ...healthRoutes(options.client, metrics), ...(options.routes ?? [])],
    metrics,
    port,
    options.host ?? options.config.http.host,
    log.child({ component: 'http' }),
  );
  if (!receiver) await app.start();
  const host = options.host ?? options.config.http.host;
  log.info(
    { port: http.port, mode: slack.mode, socketMode: slack.socketMode, channel: slack.channel },
    'gateway listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    port: http.port,
    url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${http.port}`,
    metrics,
    stop() {
      // Once, however many callers ask (a signal handler and a test's cleanup may both).
      stopping ??= (async () => {
        access.stop();
        if (!receiver) await app.stop();
        await http.close();
        // What listeners were still doing after their ack (a stop-all reaching every node) finishes first.
        const left = await inFlight.settled(STOP_DRAIN_MS);
        if (left) log.warn({ left }, `gateway stopped with ${left} Slack request(s) still being carried out`);
      })();
      return stopping;
    },
  };
}
