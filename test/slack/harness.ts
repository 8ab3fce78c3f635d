// Everything the Slack end-to-end tests run against, in this process: the
// stand-in, the real gateway, and a control worker with the real runbook
// workflow, the real Slack activities and the drill activities.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { loadConfig, type Config } from '../../worker/config.ts';
import {
  slackActivityDepsFor,
  startGateway,
  type Gateway,
  type GatewayOptions,
  type SlackSettings,
  type StopAllFaults,
} from '../../worker/gateway/index.ts';
import { createLogger } from '../../worker/logger.ts';
import { RunRequestError } from '../../worker/runs.ts';
import { startStandin, type Message, type Standin } from '../../worker/slack-standin/index.ts';
import { testEnv, uniqueQueue } from '../helpers/temporal.ts';
import { createDrillActivities } from './fixtures/activities.ts';
import { DRILL_RUNBOOKS } from './fixtures/runbooks.ts';

export const ROLES: Config['access']['users'] = {
  U0ALICE: ['responder', 'chaos-operator'],
  U0BOB: ['responder', 'approver'],
  U0CAROL: ['viewer'],
};
export const CHANNEL = 'C0INCIDENTS';

export function testConfig(queue: string, address: string): Config {
  const config = loadConfig({});
  return {
    ...config,
    temporal: { ...config.temporal, address, taskQueue: queue },
    access: { ...config.access, users: ROLES },
  };
}

export function drillRunbooks(name: string) {
  const runbook = Object.hasOwn(DRILL_RUNBOOKS, name) ? DRILL_RUNBOOKS[name] : undefined;
  if (!runbook)
    throw new RunRequestError(`runbook "${name}" not found`, [`known: ${Object.keys(DRILL_RUNBOOKS).join(', ')}`]);
  return runbook;
}

export const log = createLogger({ level: process.env.NIGHTSHIFT_TEST_LOG ?? 'silent' });

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  standin: Standin;
  gateway: Gateway;
  slack: SlackSettings;
  config: Config;
  restarts: string[];
  stop(): Promise<void>;
}

export async function startHarness(
  bundle: WorkflowBundle,
  extra: { stopAllFaults?: StopAllFaults; runbooks?: GatewayOptions['runbooks'] } = {},
): Promise<Harness> {
  const env = await testEnv();
  const queue = uniqueQueue('slack');
  const config = testConfig(queue, env.connection.options.address);
  const token = `xoxb-test-${randomBytes(8).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  let gatewayUrl = '';
  const standin = await startStandin({ port: 0, token, signingSecret, gatewayUrl: () => gatewayUrl });
  const slack: SlackSettings = {
    mode: 'standin',
    botToken: token,
    signingSecret,
    socketMode: false,
    channel: CHANNEL,
    apiUrl: standin.apiUrl,
    standin: { host: '127.0.0.1', port: 0, url: standin.url },
  };
  const drill = createDrillActivities();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queue,
    workflowBundle: bundle,
    activities: { ...createActivities(slackActivityDepsFor(slack, log)), ...drill.activities },
  });
  const running = worker.run();
  const gateway = await startGateway({
    config,
    slack,
    client: env.client,
    log,
    runbooks: drillRunbooks,
    port: 0,
    host: '127.0.0.1',
    ...extra,
  });
  gatewayUrl = `${gateway.url}/slack/events`;
  return {
    env,
    client: env.client,
    standin,
    gateway,
    slack,
    config,
    restarts: drill.calls,
    async stop() {
      await gateway.stop();
      worker.shutdown();
      await running;
      await standin.stop();
      await env.teardown();
    },
  };
}

/** Poll until `probe` gives a value (not undefined/false), or fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The stand-in message posted under a key (a run's parent: the run id). */
export function byKey(standin: Standin, key: string): Message | undefined {
  return standin.workspace.messages.find((m) => m.metadata?.event_payload.key === key);
}

/** Every text in a message's blocks, flattened: what a person reads. */
export function readable(message: Message | undefined): string {
  return JSON.stringify(message?.blocks ?? []).replace(/\\n/g, '\n');
}

export function ephemeralsFor(standin: Standin, user: string): string[] {
  return standin.workspace.ephemerals.filter((e) => e.user === user).map((e) => e.text);
}
