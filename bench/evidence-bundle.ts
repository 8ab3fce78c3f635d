// Time from a traffic-vanish start to a complete evidence bundle and its
// diagnosis, in the lab: N runs of the runbook's gather + diagnose steps
// (DNS sampling included; DNS and node-network measured by the node agents,
// fanned out), p50/p95 of the whole and each collector's share. Beside each
// run, the same-run baseline: the same gather with its collectors one at a
// time (one run per collector, back to back), the sum of their runs' times.
//
//   node bench/evidence-bundle.ts [--runs 20] [--json]       (root)
//
// Uses the lab of the configured data dir when it is up; otherwise brings up
// a lab of its own (under the machine-wide lab lock) and takes it down after.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { labDown, labStatus, labUp } from '../lab/index.ts';
import type { CompiledRunbook } from '../runbooks/index.ts';
import { labRunner, trafficVanish } from '../test/evidence/helpers/lab-runbook.ts';
import { labTestConfig, removeDataDirs } from '../test/lab/helpers/lab.ts';
import { lockLab } from '../test/lab/helpers/lock.ts';
import { loadConfig } from '../worker/index.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
let config = loadConfig();
let cleanup = async () => undefined as void;
if (!('processes' in (await labStatus(config.dataDir)))) {
  const unlock = await lockLab();
  config = await labTestConfig();
  console.error(`no lab up: starting one in ${config.dataDir}`);
  await labUp({ config, progress: (line) => console.error(`  ${line}`) });
  cleanup = async () => {
    await labDown(config.dataDir);
    removeDataDirs();
    unlock();
  };
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

process.env.NIGHTSHIFT_TEST_TEMPORAL ??= config.temporal.address;
const client = new Client({
  connection: await Connection.connect({ address: config.temporal.address }),
  namespace: config.temporal.namespace,
});
const runner = await labRunner(config.dataDir, config.temporal, client);
const runbook = trafficVanish(['gather', 'diagnose']);

const totals: number[] = [];
const inWorkflow: number[] = [];
const perCollector: Record<string, number[]> = {};
const tops: string[] = [];
const oneAtATime: number[] = [];
/** The runbook with its gather reduced to one collector. */
const alone = (collector: string): CompiledRunbook => ({
  ...runbook,
  steps: runbook.steps.map((step) =>
    step.kind === 'gather' ? { ...step, collectors: step.collectors.filter((c) => c.key === collector) } : step,
  ),
});
const singles = runbook.steps.flatMap((step) =>
  step.kind === 'gather' ? step.collectors.map((c) => alone(c.key)) : [],
);
try {
  await runner.run({}, runbook); // warm-up: worker caches, first connections
  for (let i = 0; i < runs; i++) {
    let sequential = 0;
    for (const single of singles) {
      const started = performance.now();
      await runner.run({}, single);
      sequential += performance.now() - started;
    }
    oneAtATime.push(sequential);
    const started = performance.now();
    const s = await runner.run({}, runbook);
    totals.push(performance.now() - started);
    const diagnose = s.steps.find((x) => x.id === 'diagnose');
    if (diagnose?.endedAt) inWorkflow.push(Date.parse(diagnose.endedAt) - Date.parse(s.startedAt));
    const gather = s.steps.find((x) => x.id === 'gather')?.result as
      { collectors?: Record<string, { durationMs: number }> } | undefined;
    for (const [name, r] of Object.entries(gather?.collectors ?? {})) (perCollector[name] ??= []).push(r.durationMs);
    tops.push(s.diagnosis?.hypotheses[0]?.id ?? '?');
  }
} finally {
  await runner.stop();
  await client.connection.close();
  await cleanup();
}

const gatherMean = Math.max(...Object.values(perCollector).map(mean));
const report = {
  runs,
  endToEndMs: { p50: Math.round(pct(totals, 0.5)), p95: Math.round(pct(totals, 0.95)) },
  inWorkflowMs: { p50: Math.round(pct(inWorkflow, 0.5)), p95: Math.round(pct(inWorkflow, 0.95)) },
  oneAtATimeMs: { p50: Math.round(pct(oneAtATime, 0.5)), p95: Math.round(pct(oneAtATime, 0.95)) },
  /** Fanned out against one at a time, median of the runs' own ratios. */
  ratio:
    Math.round(
      pct(
        totals.map((t, i) => t / (oneAtATime[i] ?? t)),
        0.5,
      ) * 100,
    ) / 100,
  collectors: Object.fromEntries(
    Object.entries(perCollector).map(([name, xs]) => [
      name,
      {
        p50: Math.round(pct(xs, 0.5)),
        p95: Math.round(pct(xs, 0.95)),
        shareOfGather: Math.round((mean(xs) / gatherMean) * 100) / 100,
      },
    ]),
  ),
  topHypotheses: [...new Set(tops)],
  targetP95Ms: 4000,
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  console.log(`traffic-vanish gather + diagnose, ${runs} runs in the lab`);
  console.log(
    `  start → diagnosis (client):   p50 ${report.endToEndMs.p50} ms, p95 ${report.endToEndMs.p95} ms (target p95 < ${report.targetP95Ms} ms)`,
  );
  console.log(
    `  collectors one at a time:     p50 ${report.oneAtATimeMs.p50} ms, p95 ${report.oneAtATimeMs.p95} ms (same runs; fanned out is ${report.ratio} of it)`,
  );
  console.log(`  start → diagnosis (workflow): p50 ${report.inWorkflowMs.p50} ms, p95 ${report.inWorkflowMs.p95} ms`);
  for (const [name, c] of Object.entries(report.collectors))
    console.log(
      `  ${name.padEnd(13)} p50 ${String(c.p50).padStart(5)} ms  p95 ${String(c.p95).padStart(5)} ms  ${Math.round(c.shareOfGather * 100)}% of the slowest`,
    );
  console.log(`  top hypotheses seen: ${report.topHypotheses.join(', ')}`);
}
