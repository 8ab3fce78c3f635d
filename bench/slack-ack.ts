// Benchmark: how fast the gateway acks. Signed requests from the stand-in to
// the real gateway, side by side in one run: `/nightshift help` (no Temporal
// work at all), `/nightshift run` (validation, ack, then a workflow start) and
// a decision click (ack, then a Temporal Update). Ratios to `help` show what
// the Temporal work after the ack adds to the ack itself (ideally nothing).
//   node bench/slack-ack.ts [N]    (default 20 of each, sequential)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIdFor, startDevServer, bundleWorkflows } from '../worker/index.ts';

const N = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-slack-'));
const server = await startDevServer({
  dbFile: join(dir, 'temporal.db'),
  port: 17800 + Math.floor(Math.random() * 100),
  headless: true,
});
process.env.NIGHTSHIFT_TEST_TEMPORAL = server.address;
// The same in-process stack the Slack tests use: stand-in, gateway, worker with the drill runbook.
const { byKey, CHANNEL, startHarness, waitFor } = await import('../test/slack/harness.ts');
const h = await startHarness(await bundleWorkflows());

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

try {
  const help: number[] = [];
  const run: number[] = [];
  const click: number[] = [];
  const runIds: string[] = [];
  for (let i = 0; i < N; i++) {
    help.push((await h.standin.interactor.command({ user: 'U0ALICE', text: 'help' })).ms);
    const started = await h.standin.interactor.command({ user: 'U0ALICE', text: 'run slack-drill' });
    if (started.status !== 200) throw new Error(`run answered ${started.status}`);
    run.push(started.ms);
    runIds.push(runIdFor('slack-drill', started.triggerId));
  }
  for (const runId of runIds) {
    const decision = await waitFor(
      'decision',
      () =>
        byKey(h.standin, `${runId}#decision:choose`)?.blocks?.length
          ? byKey(h.standin, `${runId}#decision:choose`)
          : undefined,
      60_000,
    );
    const clicked = await h.standin.interactor.click({
      user: 'U0BOB',
      channel: CHANNEL,
      ts: decision.ts,
      actionId: 'nightshift:decide:restart-cart',
    });
    if (clicked.status !== 200) throw new Error(`click answered ${clicked.status}`);
    click.push(clicked.ms);
  }
  await Promise.all(runIds.map((id) => h.client.workflow.getHandle(id).result()));
  const row = (name: string, values: number[]) => ({
    kind: name,
    n: values.length,
    p50_ms: Number(percentile(values, 50).toFixed(1)),
    p95_ms: Number(percentile(values, 95).toFixed(1)),
    max_ms: Number(Math.max(...values).toFixed(1)),
    p50_vs_help: Number((percentile(values, 50) / percentile(help, 50)).toFixed(2)),
  });
  console.table([row('help', help), row('run', run), row('click', click)]);
} finally {
  await h.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
