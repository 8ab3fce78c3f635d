// Benchmark: N concurrent runs of a three-step runbook (trivial activities)
// against one worker and a dev server, next to N runs of a bare one-activity
// workflow on the same server in the same process. The ratio of per-step time
// to the bare workflow's time is the interpreter's overhead.
//   node bench/runbook-throughput.ts [N ...]    (default 10 100 500)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { startDevServer } from '../worker/index.ts';
import { createTestActivities } from '../test/fixtures/engine/activities.ts';
import { testRunbook } from '../test/fixtures/engine/runbooks.ts';
import { quietRuntime } from '../test/helpers/temporal.ts';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const N = sizes.length ? sizes : [10, 100, 500];
const STEPS = 3;

interface Figures {
  n: number;
  failures: number;
  wallMs: number;
  runsPerSecond: number;
  p50: number;
  p95: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(n: number, startOne: (i: number) => Promise<{ result(): Promise<unknown> }>): Promise<Figures> {
  const began = performance.now();
  const times = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t0 = performance.now();
      try {
        const handle = await startOne(i);
        await handle.result();
        return performance.now() - t0;
      } catch {
        return Number.NaN;
      }
    }),
  );
  const wallMs = performance.now() - began;
  const ok = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  return {
    n,
    failures: n - ok.length,
    wallMs,
    runsPerSecond: (ok.length / wallMs) * 1000,
    p50: percentile(ok, 50),
    p95: percentile(ok, 95),
  };
}

const row = (label: string, f: Figures) =>
  `${label.padEnd(10)} N=${String(f.n).padStart(4)}  ${f.runsPerSecond.toFixed(1).padStart(6)} runs/s  ` +
  `p50 ${f.p50.toFixed(0).padStart(6)} ms  p95 ${f.p95.toFixed(0).padStart(6)} ms  failures ${f.failures}`;

quietRuntime();
const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-'));
const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port: 19733, headless: true });
const connection = await NativeConnection.connect({ address: server.address });
const taskQueue = 'bench';
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  }),
  activities: { ...createActivities(), ...createTestActivities(dir) },
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentActivityTaskExecutions: 200,
});
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const runbook = testRunbook('three-steps');
const requestedBy = { id: 'bench', via: 'bench' };
const context = (id: string) => ({ workflowId: id, runbook: 'bare', stepId: 'one', key: `${id}/one` });

console.log(`runbook "three-steps" (${STEPS} steps, one trivial activity each) vs a bare one-activity workflow`);
try {
  // Warm up the worker's caches and the server before measuring.
  await measure(10, (i) =>
    client.workflow.start('bareWorkflow', {
      taskQueue,
      workflowId: `warm-${i}`,
      args: [{ params: {}, context: context(`warm-${i}`) }],
    }),
  );
  for (const n of N) {
    const bare = await measure(n, (i) =>
      client.workflow.start('bareWorkflow', {
        taskQueue,
        workflowId: `bare-${n}-${i}`,
        args: [{ params: { name: 'x' }, context: context(`bare-${n}-${i}`) }],
      }),
    );
    const book = await measure(n, (i) =>
      client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId: `runbook-${n}-${i}`,
        args: [{ runbook, params: { namespace: 'bench', delayMs: 0 }, requestedBy }],
      }),
    );
    console.log(row('bare', bare));
    console.log(row('runbook', book));
    console.log(
      `           per step: p50 ${(book.p50 / STEPS).toFixed(0)} ms = ${(book.p50 / STEPS / bare.p50).toFixed(2)}× bare p50; ` +
        `p95 ${(book.p95 / STEPS).toFixed(0)} ms = ${(book.p95 / STEPS / bare.p95).toFixed(2)}× bare p95 (target ≤ 1.5×)`,
    );
  }
} finally {
  worker.shutdown();
  await running;
  await client.connection.close();
  await connection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
