// Records histories of completed runs as replay fixtures. Run it when a
// deliberate workflow change (guarded with patched()) needs new fixtures,
// with a prefix that keeps the older ones beside them:
//   node test/replay/record.ts closing-report-
// It starts its own in-memory dev server, so it needs nothing running.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { bundleWorkflows } from '../../worker/control-worker.ts';
import { startDevServer } from '../../worker/devserver.ts';
import type { runbookWorkflow, RunbookInput } from '../../workflows/index.ts';
import { abortSignal, decideUpdate, statusQuery } from '../../workflows/index.ts';
import { createTestActivities } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { quietRuntime } from '../helpers/temporal.ts';

const out = fileURLToPath(new URL('./histories/', import.meta.url));
const prefix = process.argv[2] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'nightshift-record-'));
quietRuntime();
const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port: 19233, headless: true });
const taskQueue = 'record';
const connection = await NativeConnection.connect({ address: server.address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: await bundleWorkflows(),
  activities: { ...createActivities({ reports: { dir: join(dir, 'reports') } }), ...createTestActivities(dir) },
});
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const alice = { id: 'U-alice', name: 'alice', via: 'slack' };
const bob = { id: 'U-bob', name: 'bob', via: 'slack', roles: ['responder'] };

async function record(
  name: string,
  runbook: string,
  params: RunbookInput['params'],
  drive?: (id: string) => Promise<void>,
) {
  const handle = await client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
    taskQueue,
    workflowId: `fixture-${name}`,
    args: [{ runbook: testRunbook(runbook), params, requestedBy: alice, productionNamespaces: ['production'] }],
  });
  await drive?.(handle.workflowId);
  await handle.result().catch(() => undefined);
  const history = proto.temporal.api.history.v1.History.fromObject(await handle.fetchHistory());
  writeFileSync(join(out, `${prefix}${name}.json`), `${historyToJSON(history)}\n`);
  process.stdout.write(`recorded ${prefix}${name}\n`);
}

async function whenWaiting(id: string): Promise<void> {
  for (;;) {
    const status = await client.workflow.getHandle(id).query(statusQuery);
    if (status.pendingDecision) return;
    await sleep(100);
  }
}

try {
  await record('three-steps', 'three-steps', { namespace: 'staging', delayMs: 0 });
  await record('decision-timeout', 'timeout', { namespace: 'staging' });
  await record('guided-approved', 'guided', { namespace: 'production' }, async (id) => {
    await whenWaiting(id);
    await client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ option: 'mark-it', by: bob }] });
  });
  await record('guided-aborted', 'guided', { namespace: 'staging' }, async (id) => {
    await whenWaiting(id);
    await client.workflow.getHandle(id).signal(abortSignal, { reason: 'fixture', by: alice });
  });
  await record('failed', 'fails', { namespace: 'staging' });
} finally {
  worker.shutdown();
  await running;
  await client.connection.close();
  await connection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
