// Durability on the real server: a worker SIGKILLed mid-step and a dev server
// restarted mid-run both end in completed runs, with every side effect done
// exactly once per logical step.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { startDevServer } from '../../worker/devserver.ts';
import type { runbookWorkflow } from '../../workflows/index.ts';
import { createTestActivities, readAttempts, readEffects } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { kill, startScript } from '../helpers/process.ts';
import { quietRuntime, temporalAddress, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';

const workerScript = fileURLToPath(new URL('../fixtures/engine/worker-process.ts', import.meta.url));
const requestedBy = { id: 'test', via: 'test' };

async function until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('durability', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-durable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a worker killed with SIGKILL mid-step is replaced and every effect happens exactly once', async () => {
    const address = temporalAddress();
    const taskQueue = uniqueQueue('crash');
    const client = new Client({ connection: await Connection.connect({ address }) });
    const first = await startScript(workerScript, [address, taskQueue, dir]);
    const runbook = testRunbook('crash');
    const start = (id: string, params: Record<string, number>) =>
      client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
        taskQueue,
        workflowId: `${id}-${taskQueue}`,
        args: [{ runbook, params, requestedBy }],
      });
    // One run is killed before its effect, the other after its effect but before it reports.
    const before = await start('before-effect', { pauseMs: 3000, holdMs: 0 });
    const after = await start('after-effect', { pauseMs: 0, holdMs: 3000 });
    await until(
      () =>
        readAttempts(dir).filter((line) => line.endsWith(' mark 1')).length === 2 &&
        readEffects(dir).some((e) => e.key === `${after.workflowId}/fix`),
      'both actions to be in flight',
    );
    await kill(first.process);

    const second = await startScript(workerScript, [address, taskQueue, dir]);
    try {
      const [a, b] = await Promise.all([before.result(), after.result()]);
      expect(a.state).toBe('completed');
      expect(b.state).toBe('completed');
    } finally {
      await kill(second.process, 'SIGTERM');
      await client.connection.close();
    }
    for (const handle of [before, after]) {
      const attempts = readAttempts(dir).filter((line) => line.startsWith(`${handle.workflowId}/fix `));
      expect(attempts).toEqual([`${handle.workflowId}/fix mark 1`, `${handle.workflowId}/fix mark 2`]);
      const effects = readEffects(dir).filter((e) => e.key.startsWith(`${handle.workflowId}/`));
      expect(effects.map((e) => `${e.key.slice(handle.workflowId.length + 1)} ${e.kind}`).sort()).toEqual([
        'fix mark',
        'gather/echo collect',
      ]);
    }
    // Killed before its effect, the action did it on the retry; killed after, the retry found it done.
    expect(readEffects(dir).find((e) => e.key === `${before.workflowId}/fix`)?.attempt).toBe(2);
    expect(readEffects(dir).find((e) => e.key === `${after.workflowId}/fix`)?.attempt).toBe(1);
  });

  test('the dev server with a SQLite file is stopped mid-run and started again; the run completes', async () => {
    quietRuntime();
    const dbFile = join(dir, 'temporal.db');
    const port = 18233 + Math.floor(Math.random() * 500);
    let server = await startDevServer({ dbFile, port, headless: true });
    const address = server.address;
    const taskQueue = uniqueQueue('restart');
    const connection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: { ...createActivities(), ...createTestActivities(dir) },
    });
    const running = worker.run();
    try {
      let client = new Client({ connection: await Connection.connect({ address }) });
      const handle = await client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
        taskQueue,
        workflowId: `restart-${taskQueue}`,
        args: [{ runbook: testRunbook('restart'), params: {}, requestedBy }],
      });
      await until(() => readEffects(dir).some((e) => e.kind === 'collect'), 'the first step');
      await client.connection.close();
      await server.stop();
      expect(existsSync(dbFile)).toBe(true);
      await sleep(2000);
      server = await startDevServer({ dbFile, port, headless: true });
      client = new Client({ connection: await Connection.connect({ address }) });
      const final = await client.workflow.getHandle<typeof runbookWorkflow>(handle.workflowId).result();
      expect(final.state).toBe('completed');
      expect(final.steps.find((s) => s.id === 'check')?.result).toMatchObject({ ok: true });
      expect(readEffects(dir).filter((e) => e.kind === 'mark')).toHaveLength(1);
      await client.connection.close();
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await server.stop();
    }
  });
});
