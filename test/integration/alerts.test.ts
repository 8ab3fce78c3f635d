// Alertmanager payloads posted to the real gateway, on the real Temporal
// server: exactly the expected runs exist afterwards, each with the right
// parameters; repeats and resolutions reach the run; bad requests are refused.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { alertmanagerRoute, alertRunPort } from '../../worker/alerts/index.ts';
import { loadConfig, type Config } from '../../worker/config.ts';
import { slackActivityDepsFor, startGateway, type Gateway, type SlackSettings } from '../../worker/gateway/index.ts';
import { createLogger } from '../../worker/logger.ts';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';
import { intakeQuery, intakeWorkflowId, type IntakeView } from '../../workflows/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import { type RunStatus } from '../../model/index.ts';
import { createTestActivities } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { payload } from '../fixtures/alerts.ts';

const TOKEN = 'alert-token-for-tests';
const CHANNEL = 'C0INCIDENTS';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let gateway: Gateway;
let standin: Standin;
let config: Config;
let dir: string;
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  env = await testEnv();
  dir = mkdtempSync(join(tmpdir(), 'nightshift-alerts-'));
  const taskQueue = uniqueQueue('alerts');
  const base = loadConfig({});
  config = {
    ...base,
    temporal: { ...base.temporal, taskQueue },
    slack: { ...base.slack, channel: CHANNEL },
    alerts: {
      ...base.alerts,
      bearerToken: TOKEN,
      maxBodyBytes: 64 * 1024,
      maxNewRunsPerMinute: 5,
      rateWindow: '4s',
      routes: [
        {
          matchers: ['alertname=~"Checkout.*"', 'severity="page"'],
          runbook: 'alert-test',
          params: { namespace: '${labels.namespace}' },
        },
      ],
    },
  };
  const token = `xoxb-${randomBytes(6).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  standin = await startStandin({ port: 0, token, signingSecret, gatewayUrl: () => `${gateway.url}/slack/events` });
  const slack: SlackSettings = {
    mode: 'standin',
    botToken: token,
    signingSecret,
    socketMode: false,
    channel: CHANNEL,
    apiUrl: standin.apiUrl,
    standin: { host: '127.0.0.1', port: 0, url: standin.url },
  };
  const runbooks = () => testRunbook('alert-test');
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...createActivities({
        ...slackActivityDepsFor(slack, log),
        alertRuns: alertRunPort({ client: env.client, config, runbooks }),
      }),
      ...createTestActivities(dir),
    },
  });
  running = worker.run();
  gateway = await startGateway({
    config,
    slack,
    client: env.client,
    log,
    port: 0,
    host: '127.0.0.1',
    runbooks,
    routes: [alertmanagerRoute({ config, client: env.client, runbooks, log, channel: CHANNEL })],
  });
});

afterAll(async () => {
  // Runs still waiting for a decision are ended so nothing outlives the test.
  const open = env.client.workflow.list({
    query: `TaskQueue="${config.temporal.taskQueue}" AND ExecutionStatus="Running"`,
  });
  for await (const run of open)
    await env.client.workflow
      .getHandle(run.workflowId)
      .terminate('test over')
      .catch(() => undefined);
  await gateway.stop();
  worker.shutdown();
  await running;
  await standin.stop();
  await env.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return fetch(`${gateway.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function fingerprint(): string {
  return randomBytes(8).toString('hex');
}

async function intake(): Promise<IntakeView> {
  return env.client.workflow.getHandle(intakeWorkflowId(config.temporal.taskQueue)).query(intakeQuery);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const runStatus = (runId: string) => env.client.workflow.getHandle(runId).query(statusQuery);

describe('alert-started runs', () => {
  test('a firing alert starts one run with parameters from its labels; repeats and the resolution reach that run', async () => {
    const fp = fingerprint();
    const body = payload({}, { fingerprint: fp });
    const response = await post(body);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { runs: { runId: string }[] };
    const runId = answer.runs[0]?.runId ?? '';
    expect(runId).toMatch(new RegExp(`^alert-${fp}-\\d+$`));

    const started = await eventually('the run', async () =>
      (await runStatus(runId)).pendingDecision ? runStatus(runId) : undefined,
    );
    expect(started.params).toEqual({ namespace: 'production' });
    expect(started.requestedBy).toMatchObject({ id: 'alertmanager', via: 'alert' });

    // Alertmanager repeats the notification while the alert fires, then resolves it.
    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);
    const resolved = payload(
      { status: 'resolved' },
      { fingerprint: fp, status: 'resolved', endsAt: '2026-11-26T03:10:00Z' },
    );
    expect((await post(resolved)).status).toBe(200);
    const status = await eventually('the resolution to reach the run', async () => {
      const s: RunStatus = await runStatus(runId);
      return s.alerts.some((a) => a.status === 'resolved') ? s : undefined;
    });
    expect(status.alerts.map((a) => a.status)).toEqual(['firing', 'firing', 'resolved']);
    // The person still being asked to decide is told the alert went away.
    await eventually(
      'the decision message to say so',
      async () =>
        standin.workspace.messages.some(
          (m) =>
            m.metadata?.event_payload.key === `${runId}#decision:choose` &&
            JSON.stringify(m.blocks).includes('resolved'),
        ) || undefined,
    );
    const runs = await countRuns(`WorkflowId STARTS_WITH "alert-${fp}"`);
    expect(runs).toBe(1);
  });

  test('a grouped notification with several alerts starts one run per alert', async () => {
    const fps = [fingerprint(), fingerprint(), fingerprint()];
    const alerts = fps.map((fp, i) => ({
      status: 'firing',
      fingerprint: fp,
      startsAt: '2026-11-26T03:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      labels: {
        alertname: 'CheckoutErrorBudgetBurn',
        severity: 'page',
        namespace: i === 2 ? 'finance' : 'production',
        pod: `frontend-${i}`,
      },
      annotations: {},
    }));
    const response = await post(payload({ alerts } as never));
    const answer = (await response.json()) as { routed: number; runs: { runId: string }[] };
    expect(answer.routed).toBe(3);
    for (const [i, run] of answer.runs.entries()) {
      const status = await eventually('each run', () => runStatus(run.runId));
      expect(status.params).toEqual({ namespace: i === 2 ? 'finance' : 'production' });
    }
  });

  test('an alert no route matches starts nothing and says why', async () => {
    const fp = fingerprint();
    const response = await post(payload({}, { fingerprint: fp, labels: { alertname: 'DiskFull', severity: 'page' } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      routed: 0,
      unrouted: [{ alertname: 'DiskFull', reason: 'no route matches its labels' }],
    });
    await sleep(500);
    expect(await countRuns(`WorkflowId STARTS_WITH "alert-${fp}"`)).toBe(0);
  });

  test.each([
    ['malformed JSON', '{"version": "4", ', {}, 400, /body is not JSON/],
    ['not a webhook payload', { hello: 'world' }, {}, 400, /not an Alertmanager webhook payload/],
    [
      'a version 3 payload',
      payload({ version: '3' } as never),
      {},
      400,
      /version: expected webhook payload version "4"/,
    ],
    ['no credentials', payload(), { authorization: '' }, 401, /credentials required/],
    ['a body that is not declared JSON', payload(), { 'content-type': 'text/plain' }, 415, /must be application\/json/],
    ['wrong credentials', payload(), { authorization: 'Bearer nope' }, 401, /invalid credentials/],
  ])('%s is refused (%#)', async (_name, body, headers, status, message) => {
    const before = (await intake().catch(() => undefined))?.counters.received ?? 0;
    const response = await post(body, { authorization: `Bearer ${TOKEN}`, ...(headers as Record<string, string>) });
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { error: string; problems?: string[] };
    expect([answer.error, ...(answer.problems ?? [])].join('\n')).toMatch(message);
    expect((await intake().catch(() => undefined))?.counters.received ?? 0).toBe(before);
  });

  test('an oversized body gets 413 before it is read in full', async () => {
    const huge = payload({}, { annotations: { description: 'x'.repeat(100 * 1024) } });
    const response = await post(huge);
    expect(response.status).toBe(413);
  });

  test('a burst is absorbed: new runs are capped per window and the excess is reported in one Slack message', async () => {
    const fps = Array.from({ length: 12 }, fingerprint);
    const answers = await Promise.all(
      fps.map((fp) =>
        post(
          payload(
            {},
            { fingerprint: fp, labels: { alertname: 'CheckoutLatency', severity: 'page', namespace: 'production' } },
          ),
        ),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const view = await eventually(
      'the burst to be handled',
      async () => {
        const v = await intake();
        return v.queued === 0 && v.burst === undefined && v.counters.capped >= 7 ? v : undefined;
      },
      30_000,
    );
    expect(view.counters.capped).toBeGreaterThanOrEqual(7);
    const started = await countRuns(fps.map((fp) => `WorkflowId STARTS_WITH "alert-${fp}"`).join(' OR '));
    expect(started).toBe(12 - view.counters.capped);
    const burst = standin.workspace.messages.filter((m) => /Alert burst/.test(m.text ?? ''));
    expect(burst).toHaveLength(1);
    expect(burst[0]?.text).toMatch(/CheckoutLatency ×\d+/);
  });
});

async function countRuns(filter: string): Promise<number> {
  // Visibility is eventually consistent; give it a moment to settle.
  let count = -1;
  for (let i = 0; i < 20; i++) {
    let n = 0;
    for await (const run of env.client.workflow.list({ query: `(${filter}) AND WorkflowType="runbookWorkflow"` }))
      if (run.workflowId) n += 1;
    if (n === count) return n;
    count = n;
    await sleep(250);
  }
  return count;
}
