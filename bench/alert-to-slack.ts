// Benchmark: Alertmanager POST → the run's first Slack message, and → its
// diagnosis posted in the thread, in the lab with a real pod-to-pod drop
// active. One alert at a time, N times; p50/p95 of both. The baseline is
// measured in the same run, against the same lab and fault: the same
// traffic-vanish run started directly with a Temporal client (no webhook, no
// intake), so the ratio is what the alert path adds. (How long the same steps
// take a person by hand is an estimate, not a measurement: docs/triggers.md.)
//
//   node bench/alert-to-slack.ts [--runs 20] [--json]        (root)
//
// Uses the lab of the configured data dir when it is up (its control worker
// publishes to the stand-in this script starts); otherwise brings one up and
// takes it down after.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { labDown, labStatus, labUp } from '../lab/index.ts';
import {
  loadConfig,
  resolveSlack,
  startGateway,
  startLocalStandin,
  createLogger,
  gatewayRoutes,
  gatewayStopAll,
  connectClient,
  catalogue,
  compileRunbook,
  startRun,
} from '../worker/index.ts';
import { alertPayload } from '../cli/index.ts';
import { faultAbortSignal, faultLimits, abortSignal } from '../workflows/index.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
// The burst cap is not what is measured here.
const config = loadConfig({ ...process.env, NIGHTSHIFT_ALERTS_MAX_RUNS_PER_MINUTE: '1000' });
const log = createLogger({ level: 'warn' });
const ownLab = !('processes' in (await labStatus(config.dataDir)));
if (ownLab) await labUp({ config, progress: (line) => console.error(`lab: ${line}`) });
const slack = resolveSlack(config);
const standin = await startLocalStandin(config, slack);
if (!standin) throw new Error('this benchmark needs the Slack stand-in (no Slack credentials set)');
const client = await connectClient(config);
const gateway = await startGateway({
  config,
  slack,
  client,
  log,
  routes: gatewayRoutes(config, log, client, slack, 'dev'),
  stopAllFaults: gatewayStopAll(config, client),
});

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? 0;
const faultId = `bench-alert-${randomBytes(3).toString('hex')}`;
const firstMessage: number[] = [];
const diagnosisPosted: number[] = [];
const tops: string[] = [];
const directFirst: number[] = [];
const directDiagnosis: number[] = [];

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

try {
  await client.workflow.start('faultWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: faultId,
    args: [
      {
        spec: {
          target: { namespace: 'production', selector: { app: 'cart-service-v1' } },
          kind: 'drop',
          match: { direction: 'ingress', protocol: 'tcp', dstPorts: 80 },
          magnitude: { percent: 100 },
          duration: '30m',
        },
        limits: faultLimits(config.faults),
        requestedBy: { id: 'bench', via: 'bench' },
      },
    ],
  });
  await sleep(8000); // let the drop show in flows and the probe
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const response = await fetch(`${gateway.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        alertPayload(new Date(Date.now() - 15_000), { namespace: 'production', bench: `${faultId}-${i}` }),
      ),
    });
    const answer = (await response.json()) as { runs?: { runId: string }[] };
    const runId = answer.runs?.[0]?.runId;
    if (!runId) throw new Error(`no run for alert ${i}: ${JSON.stringify(answer)}`);
    const messages = () => standin.workspace.messages;
    await waitFor(() => messages().find((m) => m.metadata?.event_payload.key === runId), 30_000);
    const t1 = performance.now() - started;
    const diagnosis = await waitFor(
      () => messages().find((m) => m.metadata?.event_payload.key === `${runId}#diagnosis`),
      60_000,
    );
    const t2 = performance.now() - started;
    await client.workflow
      .getHandle(runId)
      .signal(abortSignal, { reason: 'benchmark' })
      .catch(() => undefined);
    if (i === 0) continue; // warm-up
    firstMessage.push(t1);
    diagnosisPosted.push(t2);
    tops.push(/pod-to-pod-drop/.test(JSON.stringify(diagnosis.blocks)) ? 'pod-to-pod-drop' : 'other');

    // The baseline, interleaved with the measured path so both see the same lab: the same run, started directly.
    const direct = performance.now();
    const handle = await startRun(client, config, {
      runbook: compileRunbook('traffic-vanish', catalogue()),
      params: { namespace: 'production' },
      requestedBy: { id: 'bench', via: 'bench' },
      ...(slack.channel ? { notify: { channel: slack.channel } } : {}),
    });
    const directRun = handle.workflowId;
    await waitFor(() => messages().find((m) => m.metadata?.event_payload.key === directRun), 30_000);
    directFirst.push(performance.now() - direct);
    await waitFor(() => messages().find((m) => m.metadata?.event_payload.key === `${directRun}#diagnosis`), 60_000);
    directDiagnosis.push(performance.now() - direct);
    await handle.signal(abortSignal, { reason: 'benchmark' }).catch(() => undefined);
  }
} finally {
  await client.workflow
    .getHandle(faultId)
    .signal(faultAbortSignal, { reason: 'benchmark over' })
    .catch(() => undefined);
  await gateway.stop();
  await standin.stop();
  await client.connection.close();
  if (ownLab) await labDown(config.dataDir);
}

const result = {
  runs: firstMessage.length,
  firstMessageMs: { p50: Math.round(pct(firstMessage, 0.5)), p95: Math.round(pct(firstMessage, 0.95)) },
  diagnosisMs: { p50: Math.round(pct(diagnosisPosted, 0.5)), p95: Math.round(pct(diagnosisPosted, 0.95)) },
  namedPodToPodDrop: tops.filter((t) => t === 'pod-to-pod-drop').length,
  baseline: {
    what: 'the same run started directly with a Temporal client, in the same run of this benchmark',
    firstMessageMs: { p50: Math.round(pct(directFirst, 0.5)), p95: Math.round(pct(directFirst, 0.95)) },
    diagnosisMs: { p50: Math.round(pct(directDiagnosis, 0.5)), p95: Math.round(pct(directDiagnosis, 0.95)) },
  },
};
const ratio = (a: number, b: number) => (a / Math.max(1, b)).toFixed(2);
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `alert → first Slack message: p50 ${result.firstMessageMs.p50} ms, p95 ${result.firstMessageMs.p95} ms (target p95 < 1000 ms)`,
  );
  console.log(
    `alert → diagnosis in Slack:   p50 ${result.diagnosisMs.p50} ms, p95 ${result.diagnosisMs.p95} ms (target p95 < 10000 ms)`,
  );
  console.log(`top hypothesis pod-to-pod-drop in ${result.namedPodToPodDrop}/${result.runs} runs`);
  const b = result.baseline;
  console.log(
    `baseline (${b.what}): first message p50 ${b.firstMessageMs.p50} ms, diagnosis p50 ${b.diagnosisMs.p50} ms`,
  );
  console.log(
    `ratio alert path / direct start: first message ${ratio(result.firstMessageMs.p50, b.firstMessageMs.p50)}× (p50), ` +
      `diagnosis ${ratio(result.diagnosisMs.p50, b.diagnosisMs.p50)}× (p50)`,
  );
}
