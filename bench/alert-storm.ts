// Benchmark: an alert storm through the Alertmanager webhook into the alert
// intake, next to a baseline of single-alert deliveries, in the same run on
// the same dev server: time to answer, time until the intake has handled
// every alert, runs started, burst messages, and the intake's state and
// largest signal. Each case gets its own task queue (its own intake).
//   node bench/alert-storm.ts [--window 15s] [--cap 20] [--baseline 20]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import {
  alertmanagerRoute,
  alertRunPort,
  bundleWorkflows,
  createLogger,
  loadConfig,
  Metrics,
  serve,
  slackActivityDepsFor,
  startDevServer,
  startStandin,
  type Config,
  type SlackSettings,
} from '../worker/index.ts';
import { intakeQuery, intakeWorkflowId, type IntakeView } from '../workflows/index.ts';
import { createTestActivities } from '../test/fixtures/engine/activities.ts';
import { testRunbook } from '../test/fixtures/engine/runbooks.ts';
import { quietRuntime } from '../test/helpers/temporal.ts';

const { values } = parseArgs({
  options: {
    window: { type: 'string', default: '15s' },
    cap: { type: 'string', default: '20' },
    baseline: { type: 'string', default: '20' },
  },
});
const CAP = Number(values.cap);
const BASELINE = Number(values.baseline);
const TOKEN = 'bench-token';
const CHANNEL = 'C0INCIDENTS';

quietRuntime();
const dir = mkdtempSync(join(tmpdir(), 'nightshift-storm-bench-'));
const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port: 19833, headless: true });
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const native = await NativeConnection.connect({ address: server.address });
const log = createLogger({ level: 'silent' });
const signingSecret = randomBytes(16).toString('hex');
const token = `xoxb-${randomBytes(6).toString('hex')}`;
const standin = await startStandin({ port: 0, token, signingSecret, gatewayUrl: 'http://127.0.0.1:9/slack/events' });
const slack: SlackSettings = {
  mode: 'standin',
  botToken: token,
  signingSecret,
  socketMode: false,
  channel: CHANNEL,
  apiUrl: standin.apiUrl,
  standin: { host: '127.0.0.1', port: 0, url: standin.url },
};
const bundle = await bundleWorkflows();
// Compiled once, as the gateway's and the worker's RunbookCache keep it.
const compiled = testRunbook('alert-test');
const runbooks = () => compiled;
const stops: (() => Promise<void>)[] = [];

/** A task queue with its own worker, intake and webhook: one case of the benchmark. */
async function lane(name: string) {
  const base = loadConfig({});
  const config: Config = {
    ...base,
    temporal: { ...base.temporal, address: server.address, taskQueue: `storm-${name}` },
    slack: { ...base.slack, channel: CHANNEL },
    alerts: {
      ...base.alerts,
      bearerToken: TOKEN,
      maxBodyBytes: 8 * 1024 * 1024,
      maxNewRunsPerMinute: CAP,
      rateWindow: values.window,
      routes: [{ matchers: ['severity="page"'], runbook: 'alert-test', params: { namespace: '${labels.namespace}' } }],
    },
  };
  const worker = await Worker.create({
    connection: native,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: bundle,
    activities: {
      ...createActivities({
        ...slackActivityDepsFor(slack, log),
        alertRuns: alertRunPort({ client, config, runbooks }),
      }),
      ...createTestActivities(dir),
    },
  });
  const running = worker.run();
  const http = await serve(
    [alertmanagerRoute({ config, client, runbooks, log, channel: CHANNEL })],
    new Metrics(),
    0,
    '127.0.0.1',
  );
  stops.push(async () => {
    await http.close();
    worker.shutdown();
    await running;
  });
  const intake = () => client.workflow.getHandle(intakeWorkflowId(config.temporal.taskQueue));
  return {
    async post(alerts: number, tag: string): Promise<{ status: number; ms: number }> {
      const body = JSON.stringify(delivery(tag, alerts));
      const t0 = performance.now();
      const answer = await fetch(`http://127.0.0.1:${http.port}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body,
      });
      await answer.arrayBuffer();
      return { status: answer.status, ms: performance.now() - t0 };
    },
    async handled(received: number, t0: number): Promise<number> {
      for (;;) {
        const view: IntakeView | undefined = await intake()
          .query(intakeQuery)
          .catch(() => undefined);
        if (view && view.counters.received >= received && view.queued === 0) return performance.now() - t0;
        await sleep(50);
      }
    },
    view: (): Promise<IntakeView> => intake().query(intakeQuery),
    async largestSignal(): Promise<{ signals: number; bytes: number; events: number }> {
      const history = await intake().fetchHistory();
      const sizes = (history.events ?? []).flatMap((e) =>
        e.workflowExecutionSignaledEventAttributes?.signalName === 'alerts'
          ? [e.workflowExecutionSignaledEventAttributes.input?.payloads?.[0]?.data?.length ?? 0]
          : [],
      );
      return { signals: sizes.length, bytes: Math.max(0, ...sizes), events: history.events?.length ?? 0 };
    },
    async running(): Promise<boolean> {
      return (await intake().describe()).status.name === 'RUNNING';
    },
  };
}

const prefix = randomBytes(3).toString('hex');
function delivery(tag: string, count: number) {
  return {
    version: '4',
    groupKey: `{}:{alertname="KubePodNotReady",node="${tag}"}`,
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
        node: tag,
        pod: `p-${tag}-${i}`,
      },
      annotations: { summary: `pod p-${tag}-${i} is not ready` },
      startsAt: '2026-11-26T03:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: `${prefix}${Buffer.from(tag).toString('hex')}${String(i).padStart(5, '0')}`,
    })),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** Burst messages reporting exactly `capped` alerts (each case caps a different number). */
const bursts = (capped: number) =>
  standin.workspace.messages.filter((m) => (m.text ?? '').includes(`Alert burst: ${capped} alert(s)`)).length;

try {
  // Baseline: one alert per delivery, one at a time.
  const one = await lane('one');
  const singles: number[] = [];
  for (let i = 0; i < BASELINE; i++) {
    const answer = await one.post(1, `one${i}`);
    if (answer.status !== 200) throw new Error(`baseline delivery answered ${answer.status}`);
    singles.push(answer.ms);
  }
  const baseline = median(singles);

  // 1,000 alerts in one delivery.
  const big = await lane('big');
  await big.post(1, 'warm'); // the intake exists before the clock starts, as in the baseline
  const t0 = performance.now();
  const storm = await big.post(1000, 'big');
  const bigHandled = await big.handled(1001, t0);

  // Ten deliveries of 200 at once.
  const ten = await lane('ten');
  await ten.post(1, 'warm');
  const t1 = performance.now();
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => ten.post(200, `ten${i}`)));
  const tenAnswered = performance.now() - t1;
  const tenHandled = await ten.handled(2001, t1);

  // The burst reports go out one window after the first capped alert.
  const windowMs = (Number.parseInt(values.window, 10) || 15) * (values.window.endsWith('m') ? 60_000 : 1000);
  await sleep(windowMs + 5_000);

  const rows: [string, number, number, number, IntakeView, Awaited<ReturnType<typeof big.largestSignal>>, boolean][] =
    [];
  for (const [label, l, answered, handled, alerts] of [
    ['1 alert (baseline, median)', one, baseline, Number.NaN, BASELINE],
    ['1,000 in one delivery', big, storm.ms, bigHandled, 1001],
    ['10 × 200 at once', ten, tenAnswered, tenHandled, 2001],
  ] as const)
    rows.push([label, alerts, answered, handled, await l.view(), await l.largestSignal(), await l.running()]);

  const statuses = [storm.status, ...answers.map((a) => a.status)];
  process.stdout.write(
    `alert storm: cap ${CAP} new runs per ${values.window}; every storm delivery answered ${[...new Set(statuses)].join(', ')}\n\n`,
  );
  process.stdout.write(
    '| case | alerts | time to answer | ratio to 1 alert | intake handled all after | runs started | capped | burst messages | intake state | largest signal | history events | intake |\n',
  );
  process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
  for (const [label, alerts, answered, handled, view, signal, alive] of rows) {
    process.stdout.write(
      `| ${label} | ${alerts} | ${answered.toFixed(0)} ms | ${(answered / baseline).toFixed(1)}× | ${Number.isNaN(handled) ? '—' : `${handled.toFixed(0)} ms`} | ${view.counters.started} | ${view.counters.capped} | ${view.counters.capped ? bursts(view.counters.capped) : '—'} | ${JSON.stringify(view).length} B | ${signal.bytes} B (${signal.signals} signals) | ${signal.events} | ${alive ? 'running' : 'NOT running'} |\n`,
    );
  }
} finally {
  for (const stop of stops) await stop();
  await standin.stop();
  await client.connection.close();
  await native.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
