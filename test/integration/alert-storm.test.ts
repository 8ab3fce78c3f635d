// An alert storm through the real gateway into the real intake, on the real
// Temporal server: a node going down pages per pod (1,000 alerts in one
// delivery), then ten deliveries of 200 at once. Every delivery is answered
// 2xx; signals stay small (chunked); at most the configured number of runs
// start; one burst message reports the rest; the intake keeps running with a
// small state.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { ALERTS_PER_SIGNAL, alertmanagerRoute, alertRunPort } from '../../worker/alerts/index.ts';
import { loadConfig, type Config } from '../../worker/config.ts';
import { slackActivityDepsFor, startGateway, type Gateway, type SlackSettings } from '../../worker/gateway/index.ts';
import { createLogger } from '../../worker/logger.ts';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';
import {
  alertsSignal,
  intakeQuery,
  intakeWorkflowId,
  newIntakeState,
  type AlertEnvelope,
  type IntakeView,
} from '../../workflows/index.ts';
import { createTestActivities } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';

const TOKEN = 'storm-token-for-tests';
const CHANNEL = 'C0INCIDENTS';
const CAP = 5;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let gateway: Gateway;
let standin: Standin;
let config: Config;
let dir: string;
const log = createLogger({ level: 'silent' });
const prefix = randomBytes(3).toString('hex');

beforeAll(async () => {
  env = await testEnv();
  dir = mkdtempSync(join(tmpdir(), 'nightshift-storm-'));
  const taskQueue = uniqueQueue('storm');
  const base = loadConfig({});
  config = {
    ...base,
    temporal: { ...base.temporal, taskQueue },
    slack: { ...base.slack, channel: CHANNEL },
    alerts: {
      ...base.alerts,
      bearerToken: TOKEN,
      maxBodyBytes: 4 * 1024 * 1024,
      maxNewRunsPerMinute: CAP,
      // One window for the whole storm, even on a slow machine.
      rateWindow: '60s',
      routes: [{ matchers: ['severity="page"'], runbook: 'alert-test', params: { namespace: '${labels.namespace}' } }],
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

/** A delivery of `count` pod alerts (one per pod of a node going down), each its own fingerprint. */
function delivery(tag: string, count: number) {
  return {
    version: '4',
    groupKey: `{}:{alertname="KubePodNotReady",node="node-${tag}"}`,
    status: 'firing',
    receiver: 'nightshift',
    groupLabels: { alertname: 'KubePodNotReady' },
    commonLabels: { alertname: 'KubePodNotReady', severity: 'page' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: count }, (_, i) => ({
      status: 'firing',
      labels: {
        alertname: 'KubePodNotReady',
        severity: 'page',
        namespace: 'production',
        node: `node-${tag}`,
        pod: `shop-${tag}-${i}`,
      },
      annotations: { summary: `pod shop-${tag}-${i} is not ready` },
      startsAt: '2026-11-26T03:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: `${prefix}${tag}${String(i).padStart(5, '0')}`,
    })),
  };
}

function post(body: unknown) {
  return fetch(`${gateway.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
}

const intake = () => env.client.workflow.getHandle(intakeWorkflowId(config.temporal.taskQueue));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function countRuns(): Promise<number> {
  const query = `TaskQueue="${config.temporal.taskQueue}" AND WorkflowType="runbookWorkflow"`;
  let count = -1;
  for (let i = 0; i < 20; i++) {
    let n = 0;
    for await (const run of env.client.workflow.list({ query })) if (run.workflowId) n += 1;
    if (n === count) return n;
    count = n;
    await sleep(250);
  }
  return count;
}

test('1,000 alerts in one delivery, then ten deliveries of 200 at once: all answered, at most the cap started, one burst message, the intake still running', async () => {
  const storm = await post(delivery('a', 1000));
  expect(storm.status).toBe(200);
  const answer = (await storm.json()) as { accepted: number; routed: number; runs: unknown[]; listed?: string };
  expect(answer).toMatchObject({ accepted: 1000, routed: 1000, listed: 'the first 100 of each list' });
  expect(answer.runs).toHaveLength(100);

  const tens = await Promise.all(Array.from({ length: 10 }, (_, i) => post(delivery(`b${i}`, 200))));
  expect(tens.map((r) => r.status)).toEqual(Array(10).fill(200));

  const view = await eventually('the intake to handle all 3,000', async () => {
    const v: IntakeView = await intake().query(intakeQuery);
    return v.counters.received === 3000 && v.queued === 0 ? v : undefined;
  });
  expect(view.counters).toMatchObject({ started: CAP, capped: 3000 - CAP, unrouted: 0 });
  expect(await countRuns()).toBe(CAP);

  // One message for the whole burst, naming the alert and how many.
  const burst = await eventually('the burst report', async () => {
    const found = standin.workspace.messages.filter((m) => /Alert burst/.test(m.text ?? ''));
    return found.length > 0 ? found : undefined;
  });
  expect(burst).toHaveLength(1);
  expect(burst[0]?.text).toMatch(
    new RegExp(`${3000 - CAP} alert\\(s\\) did not start a run[\\s\\S]*KubePodNotReady ×${3000 - CAP}`),
  );

  const after: IntakeView = await intake().query(intakeQuery);
  expect(after.burst).toBeUndefined();
  expect(Object.keys(after.runs)).toHaveLength(CAP);
  expect(after.recentStarts.length).toBeLessThanOrEqual(CAP);
  // Counts, not lists: the carried state stays small whatever the storm.
  expect(JSON.stringify(after).length).toBeLessThan(8 * 1024);
  expect((await intake().describe()).status.name).toBe('RUNNING');

  // Every signal was a chunk: none carries more than ALERTS_PER_SIGNAL alerts, or anything like Temporal's limit.
  const history = await intake().fetchHistory();
  const signals = (history.events ?? []).flatMap((e) =>
    e.workflowExecutionSignaledEventAttributes?.signalName === 'alerts'
      ? [e.workflowExecutionSignaledEventAttributes.input?.payloads?.[0]?.data?.length ?? 0]
      : [],
  );
  expect(signals).toHaveLength(1000 / ALERTS_PER_SIGNAL + (10 * 200) / ALERTS_PER_SIGNAL);
  expect(Math.max(...signals)).toBeLessThan(256 * 1024);
});

test('an alert from a gateway of before (its envelope carries the compiled runbook) still starts its run', async () => {
  const fingerprint = `${prefix}legacy`;
  const key = `${fingerprint}-1795662000`;
  const workflowId = `alert-${key}`;
  const envelope: AlertEnvelope = {
    key,
    status: 'firing',
    alertname: 'CheckoutErrorBudgetBurn',
    fingerprint,
    labels: { alertname: 'CheckoutErrorBudgetBurn', namespace: 'production' },
    startsAt: '2026-11-26T03:00:00Z',
    receivedAt: new Date().toISOString(),
    run: {
      workflowId,
      input: {
        runbook: testRunbook('alert-test'),
        params: { namespace: 'production' },
        requestedBy: { id: 'alertmanager', via: 'alert' },
      },
    },
  };
  // A fresh window for it: the storm's window still holds its cap.
  await env.client.workflow.signalWithStart('alertIntakeWorkflow', {
    workflowId: intakeWorkflowId(config.temporal.taskQueue),
    taskQueue: config.temporal.taskQueue,
    args: [newIntakeState()],
    signal: alertsSignal,
    signalArgs: [{ envelopes: [envelope], maxNewRunsPerMinute: CAP + 1, rateWindowMs: 60_000 }],
  });
  const status = await eventually('the legacy run', async () => {
    const d = await env.client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING' ? d : undefined;
  });
  expect(status.type).toBe('runbookWorkflow');
});
