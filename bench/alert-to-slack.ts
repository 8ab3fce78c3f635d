// Benchmark: the real alerting chain, fault → diagnosis in the Slack thread,
// hop by hop, in the lab. Each of N rounds injects a fresh 100 % drop into the
// cart pods and waits: Prometheus scrapes checkout-frontend's counters, the
// shipped CheckoutErrorBudgetBurn rule goes pending and then firing (15 s),
// Alertmanager groups and posts to the gateway, the intake starts
// traffic-vanish, and the diagnosis is posted in the thread. Then the fault is
// stopped and the round waits for checkout and the alert to recover.
//
// Printed beside it: the floor the monitoring configuration sets (scrape and
// evaluation interval, the rule's `for`, Alertmanager's group_wait), and, as
// the baseline measured in the same rounds, the same traffic-vanish run started
// directly with a Temporal client while the fault holds, so the ratio is what
// the alert path adds to nightshift's own share (webhook → diagnosis).
//
//   node bench/alert-to-slack.ts [--runs 10] [--json]        (root)
//
// One more round comes first and is not counted: the first run after the
// lab comes up pays for cold caches (the agents' measuring helpers, the
// worker's first workflow bundle), as the first run of a new deployment does.
//
// Each round also prints where nightshift's share went, from the run's own
// status (its steps' times and each collector's duration): webhook → run
// started → gather (per collector) → diagnose → the message in the thread.
//
// And where the machine's CPU went in that time (bench/cpu-by-process.ts): each
// lab process with everything it started (the agents' helpers, the pods), from
// the webhook's answer to the diagnosis in the thread, beside the machine's.
//
// Uses the lab of the configured data dir when it is up with --no-chart (its
// control worker publishes to the stand-in this script starts, and
// Alertmanager posts to the gateway this script runs, where the webhook's
// arrival is timed to the millisecond); otherwise brings one up that way and
// takes it down after. (With the chart, the default, the gateway is a pod: the
// demo times the same chain from outside it, `bin/nightshift demo`.)
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { labAlertTokenFor, labDown, labStatus, labUp, LAB_MONITORING, probeSummary, ruleAlerts } from '../lab/index.ts';
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
  type Config,
} from '../worker/index.ts';
import { ALERTNAME, cartDrop, Deliveries, followChain } from '../cli/index.ts';
import { faultAbortSignal, faultLimits, abortSignal, statusQuery } from '../workflows/index.ts';
import type { CollectorResult } from '../model/index.ts';
import { cpuBetween, cpuSnapshot, type CpuSnapshot } from './cpu-by-process.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a whole number of at least 1, not "${values.runs}"`);
const given = loadConfig();
const log = createLogger({ level: 'warn' });
const before = await labStatus(given.dataDir);
const ownLab = !('processes' in before);
if ('chart' in before && before.chart)
  throw new Error('the lab is up with nightshift from its chart; this benchmark needs `nightshift lab up --no-chart`');
if (ownLab) await labUp({ config: given, chart: false, progress: (line) => console.error(`lab: ${line}`) });
const bearerToken = given.alerts.bearerToken ?? labAlertTokenFor(given.dataDir);
const config: Config = { ...given, alerts: { ...given.alerts, ...(bearerToken ? { bearerToken } : {}) } };
const slack = resolveSlack(config);
const standin = await startLocalStandin(config, slack);
if (!standin) throw new Error('this benchmark needs the Slack stand-in (no Slack credentials set)');
const client = await connectClient(config);
const deliveries = new Deliveries();
const labNow = await labStatus(config.dataDir);
/** The trees CPU is counted by: each lab process, and this script (the gateway, the Slack stand-in). */
const cpuRoots = new Map<number, string>([
  [process.pid, 'bench (gateway, Slack stand-in)'],
  ...('processes' in labNow ? labNow.processes.map((p) => [p.pid, p.name] as const) : []),
]);
/** Taken when the round's firing alert reaches the gateway (not at the last round's resolved notification). */
let cpuAtWebhook: CpuSnapshot | undefined;
let cpuArmed = false;
const gateway = await startGateway({
  config,
  slack,
  client,
  log,
  routes: gatewayRoutes(config, log, client, slack, 'dev', (answer, at) => {
    deliveries.observe(answer, at);
    const runs = Array.isArray(answer.body.runs) ? (answer.body.runs as { status?: unknown }[]) : [];
    if (cpuArmed && runs.some((r) => r.status === 'firing')) {
      cpuAtWebhook = cpuSnapshot(cpuRoots);
      cpuArmed = false;
    }
  }),
  stopAllFaults: gatewayStopAll(config, client),
});

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? 0;
const hopNames = ['pending', 'firing', 'webhook', 'runStarted', 'diagnosis'] as const;
const hops: Record<(typeof hopNames)[number], number[]> = {
  pending: [],
  firing: [],
  webhook: [],
  runStarted: [],
  diagnosis: [],
};
const share: number[] = [];
const direct: number[] = [];
const tops: string[] = [];
const rounds: Record<string, unknown>[] = [];
const messages = () => standin.workspace.messages;

/** Where a run's time went, from its status: ms from the webhook to each step, and each collector's own time. */
async function breakdown(runId: string, webhook: Date | undefined, threadAt: number) {
  const status = await client.workflow.getHandle(runId).query(statusQuery);
  const ms = (iso?: string) => (iso ? Date.parse(iso) : Number.NaN);
  const from = webhook?.getTime() ?? ms(status.startedAt);
  const gather = status.steps.find((x) => x.kind === 'gather');
  const diagnose = status.steps.find((x) => x.kind === 'diagnose');
  const collectors = (gather?.result as { collectors?: Record<string, CollectorResult> } | undefined)?.collectors ?? {};
  return {
    runStarted: ms(status.startedAt) - from,
    gatherStart: ms(gather?.startedAt) - from,
    gather: ms(gather?.endedAt) - ms(gather?.startedAt),
    diagnose: ms(diagnose?.endedAt) - ms(diagnose?.startedAt),
    diagnosedToThread: threadAt - ms(diagnose?.endedAt),
    /** Flows the flows collector read from the relay (after dropping those two questions both brought). */
    flowsRead: (collectors.flows?.evidence as { flows?: number } | undefined)?.flows,
    collectors: Object.fromEntries(
      Object.entries(collectors)
        .map(([name, r]) => [name, r.durationMs] as const)
        .sort((a, b) => b[1] - a[1]),
    ),
  };
}
const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '?');

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

/** Checkout answers again and the rule is no longer pending or firing: the next round starts clean. */
async function recovered(): Promise<void> {
  await until('checkout and the alert to recover', 180_000, async () => {
    const s = await probeSummary(3).catch(() => undefined);
    const held = await ruleAlerts(ALERTNAME).catch(() => [{}]);
    return s && s.requests > 0 && s.successRate >= 0.99 && held.length === 0 ? true : undefined;
  });
}

const faultIds: string[] = [];
try {
  await recovered();
  for (let i = 0; i <= runs; i++) {
    const counted = i > 0;
    const faultId = `bench-chain-${randomBytes(3).toString('hex')}`;
    faultIds.push(faultId);
    const t0 = Date.now();
    cpuArmed = true;
    await client.workflow.start('faultWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: faultId,
      args: [
        {
          spec: cartDrop('10m'),
          limits: faultLimits(config.faults),
          requestedBy: { id: 'bench', via: 'bench' },
        },
      ],
    });
    const chain = await followChain({ since: new Date(t0), deliveries, client, onHop: () => undefined });
    const diagnosis = await until('the diagnosis in the thread', 60_000, () =>
      messages().find((m) => m.metadata?.event_payload.key === `${chain.runId}#diagnosis`),
    );
    const diagnosedAt = Date.now();
    const cpu = cpuAtWebhook ? cpuBetween(cpuAtWebhook, cpuSnapshot(cpuRoots)) : undefined;
    cpuAtWebhook = undefined;
    cpuArmed = false;
    if (counted) {
      for (const hop of ['pending', 'firing', 'webhook', 'runStarted'] as const) {
        const at = chain[hop];
        if (at) hops[hop].push(at.getTime() - t0);
      }
      hops.diagnosis.push(diagnosedAt - t0);
      share.push(diagnosedAt - (chain.webhook ?? chain.runStarted).getTime());
      tops.push(/pod-to-pod-drop/.test(JSON.stringify(diagnosis.blocks)) ? 'pod-to-pod-drop' : 'other');
      const b = await breakdown(chain.runId, chain.webhook, diagnosedAt).catch((err: unknown) => ({
        error: String(err),
      }));
      rounds.push({ shareMs: share[share.length - 1], ...b, ...(cpu ? { cpu } : {}) });
      if ('collectors' in b)
        console.error(
          `  share ${seconds(share[share.length - 1] ?? Number.NaN)}: run started +${seconds(b.runStarted)}, gather from +${seconds(b.gatherStart)} ` +
            `for ${seconds(b.gather)} (${Object.entries(b.collectors)
              .map(([n, d]) => `${n} ${seconds(d)}`)
              .join(
                ', ',
              )}; ${b.flowsRead ?? '?'} flows read), diagnose ${seconds(b.diagnose)}, then ${seconds(b.diagnosedToThread)} to the thread`,
        );
      if (cpu)
        console.error(
          `  CPU meanwhile ${cpu.machine.toFixed(2)} s of the machine's: ${cpu.byRoot
            .slice(0, 8)
            .map(([name, sec]) => `${name} ${sec.toFixed(2)}`)
            .join(', ')}`,
        );
    }
    await client.workflow
      .getHandle(chain.runId)
      .signal(abortSignal, { reason: 'benchmark' })
      .catch(() => undefined);

    // The baseline while the same fault holds: the same run, started directly.
    const started = Date.now();
    const handle = await startRun(client, config, {
      runbook: compileRunbook('traffic-vanish', catalogue()),
      params: { namespace: 'production' },
      requestedBy: { id: 'bench', via: 'bench' },
      ...(slack.channel ? { notify: { channel: slack.channel } } : {}),
    });
    await until("the direct run's diagnosis", 60_000, () =>
      messages().find((m) => m.metadata?.event_payload.key === `${handle.workflowId}#diagnosis`),
    );
    if (counted) direct.push(Date.now() - started);
    await handle.signal(abortSignal, { reason: 'benchmark' }).catch(() => undefined);

    await client.workflow.getHandle(faultId).signal(faultAbortSignal, { reason: 'round over' });
    await recovered();
    console.error(
      `${counted ? `round ${i}/${runs}` : 'warm-up round'}: diagnosis in the thread ${((diagnosedAt - t0) / 1000).toFixed(1)} s after the fault`,
    );
  }
} finally {
  for (const id of faultIds)
    await client.workflow
      .getHandle(id)
      .signal(faultAbortSignal, { reason: 'benchmark over' })
      .catch(() => undefined);
  await gateway.stop();
  await standin.stop();
  await client.connection.close();
  if (ownLab) await labDown(config.dataDir);
}

const m = LAB_MONITORING;
const stats = (xs: number[]) => ({ p50: Math.round(pct(xs, 0.5)), p95: Math.round(pct(xs, 0.95)) });
const result = {
  runs: hops.diagnosis.length,
  hopsMs: Object.fromEntries(hopNames.map((h) => [h, stats(hops[h])])),
  nightshiftShareMs: stats(share),
  namedPodToPodDrop: tops.filter((t) => t === 'pod-to-pod-drop').length,
  configuration: {
    scrapeIntervalS: m.scrapeIntervalS,
    evaluationIntervalS: m.evaluationIntervalS,
    ruleForS: 15,
    groupWaitS: m.groupWaitS,
    floorS: m.scrapeIntervalS + m.evaluationIntervalS + 15 + m.groupWaitS,
  },
  baseline: {
    what: 'the same traffic-vanish run started directly with a Temporal client while the same fault holds',
    diagnosisMs: stats(direct),
  },
  rounds,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  for (const h of hopNames)
    console.log(`fault → ${h.padEnd(10)} p50 ${s(pct(hops[h], 0.5))}, p95 ${s(pct(hops[h], 0.95))}`);
  console.log(
    `goal: fault → diagnosis in the thread p95 under 30 s: ${pct(hops.diagnosis, 0.95) < 30_000 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `nightshift's share (webhook → diagnosis in the thread): p50 ${s(result.nightshiftShareMs.p50)}, p95 ${s(result.nightshiftShareMs.p95)} (goal p95 under 3 s)`,
  );
  console.log(
    `floor the configuration sets: scrape ${m.scrapeIntervalS} s + evaluation ${m.evaluationIntervalS} s + for 15 s + group_wait ${m.groupWaitS} s = ${result.configuration.floorS} s`,
  );
  console.log(
    `baseline (${result.baseline.what}): diagnosis p50 ${s(result.baseline.diagnosisMs.p50)}; ` +
      `ratio webhook path / direct start ${(pct(share, 0.5) / Math.max(1, pct(direct, 0.5))).toFixed(2)}× (p50)`,
  );
  console.log(`top hypothesis pod-to-pod-drop in ${result.namedPodToPodDrop}/${result.runs} rounds`);
}
