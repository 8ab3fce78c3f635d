// What a control worker's start costs in workflow bundling: bundling the
// workflows with webpack (what every worker did at start), against reading
// back the kept bundle (worker/workflow-bundle.ts: the JSON read and every
// input file hashed), side by side in each round. Each round bundles into an
// empty cache directory of its own, then reads it back. The first round is
// what a worker's start pays (webpack loaded and run cold in a fresh
// process); later rounds run it warm.
//
//   node bench/workflow-bundle.ts [--rounds 3] [--json]
//
// No server needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WORKFLOWS_PATH, workflowBundleFor } from '../worker/index.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a whole number of at least 1, not "${values.rounds}"`);

/** Wall and CPU ms of one call. */
async function measure(what: () => Promise<{ from: string }>, expected: string) {
  const started = Date.now();
  const cpu = process.cpuUsage();
  const answer = await what();
  const used = process.cpuUsage(cpu);
  if (answer.from !== expected) throw new Error(`expected a bundle ${expected}, got one ${answer.from}`);
  return { wallMs: Date.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

const results: { made: { wallMs: number; cpuMs: number }; kept: { wallMs: number; cpuMs: number } }[] = [];
for (let i = 0; i < rounds; i++) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'nightshift-bundle-bench-'));
  try {
    const made = await measure(() => workflowBundleFor(WORKFLOWS_PATH, { cacheDir }), 'made');
    const kept = await measure(() => workflowBundleFor(WORKFLOWS_PATH, { cacheDir }), 'kept');
    results.push({ made, kept });
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const summary = {
  rounds,
  madeWallMs: median(results.map((r) => r.made.wallMs)),
  madeCpuMs: median(results.map((r) => r.made.cpuMs)),
  keptWallMs: median(results.map((r) => r.kept.wallMs)),
  keptCpuMs: median(results.map((r) => r.kept.cpuMs)),
  keptOverMadeWall: median(results.map((r) => r.kept.wallMs / r.made.wallMs)),
  first: results[0],
};
if (values.json) console.log(JSON.stringify({ ...summary, results }));
else {
  const first = results[0];
  if (first)
    console.log(
      `first round (a fresh process, as at a worker's start): bundled ${first.made.wallMs} ms, kept read ${first.kept.wallMs} ms`,
    );
  console.log(`workflow bundle, median of ${rounds} rounds`);
  console.log(
    `  bundled with webpack:    ${summary.madeWallMs} ms (CPU ${summary.madeCpuMs.toFixed(0)} ms of this thread)`,
  );
  console.log(`  the kept bundle read:    ${summary.keptWallMs} ms (CPU ${summary.keptCpuMs.toFixed(0)} ms)`);
  console.log(`  ratio kept / bundled:    ${summary.keptOverMadeWall.toFixed(3)} (wall)`);
}
