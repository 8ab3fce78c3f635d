// Benchmark: a game day's stop condition trips mid-fault → the kernel no
// longer enforces the fault on any node (the agents' own `revertedAt`), in
// the lab, on its control worker and node agents. Beside it, as the
// baseline, the same fault aborted directly (the `stop-fault` path): abort
// signal sent → reverted. p50/p95 of both and their ratio; target: the trip
// is reverted within 1 s.
//
//   node bench/gameday-stop.ts [--runs 5] [--json]        (root)
//
// Uses the lab of the configured data dir when it is up; otherwise brings
// one up and takes it down after.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { labDown, labStatus, labUp, probeSummary } from '../lab/index.ts';
import { formatProblem } from '../runbooks/index.ts';
import { catalogue, loadConfig, loadExperiment, startGameday, connectClient } from '../worker/index.ts';
import { faultAbortSignal, faultStatusQuery } from '../workflows/index.ts';
import type { GamedayStatus, FaultStatus } from '../workflows/index.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number ≥ 1, got "${values.runs}"`);
const config = loadConfig(process.env);
const ownLab = !('processes' in (await labStatus(config.dataDir)));
if (ownLab) await labUp({ config, progress: (line) => console.error(`lab: ${line}`) });
const client = await connectClient(config);

// The cart-drop experiment, made to trip: checkout below 50 % over 2 s stops it.
const yaml = readFileSync(fileURLToPath(new URL('../runbooks/experiments/cart-drop.yaml', import.meta.url)), 'utf8')
  .replace('value: 300 }', 'value: 2000 }')
  .replace('- { path: result.p99Ms, op: gt, value: 10000 }', '- { path: result.successRate, op: lt, value: 0.5 }')
  .replace('params: { window: 5s }', 'params: { window: 2s }')
  .replace('settle: 60s', 'settle: 45s');
const loaded = loadExperiment(yaml, config, catalogue());
if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
const experiment = { ...loaded.input, trigger: { via: 'bench', by: 'bench' }, ignoreBlackouts: true };

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? Number.NaN;
/** When the last node stopped enforcing the fault, from `start` (ms). */
const revertedAfter = (fault: FaultStatus | undefined, start: number) => {
  const at = (fault?.reverts ?? []).map((r) => Date.parse(r.revertedAt));
  if (at.length === 0 || at.some(Number.isNaN))
    throw new Error(`the fault shows no reverts: ${JSON.stringify(fault?.reverts)}`);
  return Math.max(...at) - start;
};

async function probeRecovered(): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    // The steady-state check reads 10 s: the previous fault must be out of that window.
    const s = await probeSummary(10).catch(() => undefined);
    if (s && s.requests > 0 && s.successRate >= 0.99) return;
    if (Date.now() > deadline) throw new Error(`the probe did not recover: ${JSON.stringify(s)}`);
    await sleep(1000);
  }
}

/** Baseline: start the experiment's fault, let it hold, abort it, time abort → reverted. */
async function directAbort(i: number): Promise<number> {
  const handle = await client.workflow.start('faultWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `bench-stop-direct-${Date.now()}-${i}`,
    args: [experiment.fault],
  });
  const deadline = Date.now() + 60_000;
  while ((await handle.query(faultStatusQuery)).state !== 'holding') {
    if (Date.now() > deadline) throw new Error(`fault ${handle.workflowId} did not take hold`);
    await sleep(200);
  }
  await sleep(3000);
  const sent = Date.now();
  await handle.signal(faultAbortSignal, { reason: 'benchmark', by: { id: 'bench', via: 'bench' } });
  return revertedAfter((await handle.result()) as FaultStatus, sent);
}

/** A game day that trips its stop condition: time trip → reverted. */
async function tripped(i: number): Promise<number> {
  const handle = await startGameday(client, config, experiment, `bench-stop-gameday-${Date.now()}-${i}`);
  const status = (await handle.result()) as GamedayStatus;
  const trip = status.timeline.find((e) => e.event === 'stopping');
  if (status.state !== 'aborted' || !trip)
    throw new Error(`game day ${handle.workflowId} did not trip: ${status.state}, ${status.score?.reasons.join('; ')}`);
  return revertedAfter(status.fault, Date.parse(trip.at));
}

const direct: number[] = [];
const gameday: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always meets a busier machine.
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const first of order) {
      await probeRecovered();
      if (first) direct.push(await directAbort(i));
      else gameday.push(await tripped(i));
    }
    console.error(`run ${i + 1}/${runs}: abort → reverted ${direct.at(-1)} ms; trip → reverted ${gameday.at(-1)} ms`);
  }
} finally {
  await client.connection.close();
  if (ownLab) await labDown(config.dataDir);
}

const figures = {
  runs,
  directAbortMs: { p50: pct(direct, 0.5), p95: pct(direct, 0.95), max: Math.max(...direct) },
  stopConditionMs: { p50: pct(gameday, 0.5), p95: pct(gameday, 0.95), max: Math.max(...gameday) },
  ratio: { p50: pct(gameday, 0.5) / pct(direct, 0.5), p95: pct(gameday, 0.95) / pct(direct, 0.95) },
  targetMs: 1000,
};
if (values.json) console.log(JSON.stringify(figures));
else {
  console.log(
    `stop condition trips → fault reverted on every node, ${runs} game days (target < ${figures.targetMs} ms):`,
  );
  console.log(
    `  baseline, abort signal → reverted: p50 ${figures.directAbortMs.p50} ms, p95 ${figures.directAbortMs.p95} ms`,
  );
  console.log(
    `  game day, trip → reverted:        p50 ${figures.stopConditionMs.p50} ms, p95 ${figures.stopConditionMs.p95} ms, max ${figures.stopConditionMs.max} ms`,
  );
  console.log(
    `  ratio game day / baseline:        p50 ${figures.ratio.p50.toFixed(2)}×, p95 ${figures.ratio.p95.toFixed(2)}×`,
  );
}
