// Records histories as replay fixtures: completed runbook runs, and the alert
// intake through a burst. Run it when a deliberate workflow change (guarded
// with patched()) needs new fixtures, with a prefix that keeps the older ones
// beside them, and what to record (runbook runs by default, or the intake):
//   node test/replay/record.ts closing-report-
//   node test/replay/record.ts intake- intake
//   node test/replay/record.ts four-eyes-   (kept: the runs with a decision)
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
import { alertRunPort } from '../../worker/alerts/index.ts';
import { loadConfig } from '../../worker/config.ts';
import { bundleWorkflows } from '../../worker/control-worker.ts';
import { startDevServer } from '../../worker/devserver.ts';
import type { AlertEnvelope, runbookWorkflow, RunbookInput } from '../../workflows/index.ts';
import {
  abortSignal,
  alertsSignal,
  decideUpdate,
  gamedayEndedSignal,
  gamedayStartedSignal,
  intakeQuery,
  newIntakeState,
  statusQuery,
} from '../../workflows/index.ts';
import { createTestActivities } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { quietRuntime } from '../helpers/temporal.ts';

const out = fileURLToPath(new URL('./histories/', import.meta.url));
const prefix = process.argv[2] ?? '';
const what = process.argv[3] ?? 'runbook';
if (what !== 'runbook' && what !== 'intake') throw new Error(`record runbook runs or the intake, not "${what}"`);
const dir = mkdtempSync(join(tmpdir(), 'nightshift-record-'));
quietRuntime();
const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port: 19233, headless: true });
const taskQueue = 'record';
const connection = await NativeConnection.connect({ address: server.address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: await bundleWorkflows(),
  activities: {
    ...createActivities({
      reports: { dir: join(dir, 'reports') },
      alertRuns: alertRunPort({
        client: new Client({ connection: await Connection.connect({ address: server.address }) }),
        config: { ...loadConfig({}), temporal: { ...loadConfig({}).temporal, taskQueue } },
        runbooks: testRunbook,
      }),
    }),
    ...createTestActivities(dir),
  },
});
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
const alice = { id: 'U-alice', name: 'alice', via: 'slack' };
const bob = { id: 'U-bob', name: 'bob', via: 'slack', roles: ['responder', 'approver'] };

async function record(
  name: string,
  runbook: string,
  params: RunbookInput['params'],
  drive?: (id: string) => Promise<void>,
  started: Partial<RunbookInput> = {},
) {
  const handle = await client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
    taskQueue,
    workflowId: `fixture-${name}`,
    args: [
      { runbook: testRunbook(runbook), params, requestedBy: alice, productionNamespaces: ['production'], ...started },
    ],
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

async function save(name: string, workflowId: string): Promise<void> {
  const history = proto.temporal.api.history.v1.History.fromObject(
    await client.workflow.getHandle(workflowId).fetchHistory(),
  );
  writeFileSync(join(out, `${prefix}${name}.json`), `${historyToJSON(history)}\n`);
  process.stdout.write(`recorded ${prefix}${name}\n`);
}

/** An alert as the gateway hands it to the intake: its run by runbook name and parameters. */
function envelope(n: number, status: 'firing' | 'resolved' = 'firing', routed = true): AlertEnvelope {
  const key = `f${n}-1795000000`;
  const labels = { alertname: 'CheckoutErrorBudgetBurn', namespace: 'production', pod: `frontend-${n}` };
  return {
    key,
    status,
    alertname: labels.alertname,
    fingerprint: `f${n}`,
    labels,
    startsAt: '2026-11-26T03:00:00Z',
    receivedAt: '2026-11-26T03:00:05Z',
    ...(routed
      ? { run: { workflowId: `fixture-alert-${key}`, runbook: 'alert-test', params: { namespace: 'production' } } }
      : { unrouted: 'no route matches its labels' }),
  };
}

/** The intake through a burst: two runs start, two are capped and reported, a repeat and a resolution reach their runs. */
async function recordIntake(): Promise<void> {
  const workflowId = 'fixture-alert-intake';
  const batch = (envelopes: AlertEnvelope[]) => ({ envelopes, maxNewRunsPerMinute: 2, rateWindowMs: 2_000 });
  const intake = client.workflow.getHandle(workflowId);
  await client.workflow.signalWithStart('alertIntakeWorkflow', {
    taskQueue,
    workflowId,
    args: [newIntakeState()],
    signal: alertsSignal,
    signalArgs: [batch([1, 2, 3, 4].map((n) => envelope(n)))],
  });
  await client.workflow.signalWithStart('alertIntakeWorkflow', {
    taskQueue,
    workflowId,
    args: [newIntakeState()],
    signal: gamedayStartedSignal,
    signalArgs: [{ workflowId: 'fixture-gameday', namespace: 'production', services: ['cart'] }],
  });
  await intake.signal(alertsSignal, batch([envelope(1), envelope(2, 'resolved'), envelope(9, 'firing', false)]));
  await intake.signal(gamedayEndedSignal, { workflowId: 'fixture-gameday' });
  for (;;) {
    const view = await intake.query(intakeQuery);
    if (view.queued === 0 && view.counters.received === 7 && !view.burst && view.excess.length === 0) break;
    await sleep(200);
  }
  await save('alert-intake', workflowId);
  for (const id of [workflowId, 'fixture-alert-f1-1795000000', 'fixture-alert-f2-1795000000'])
    await client.workflow
      .getHandle(id)
      .terminate('fixture recorded')
      .catch(() => undefined);
}

try {
  if (what === 'intake') await recordIntake();
  else await recordRuns();
} finally {
  worker.shutdown();
  await running;
  await client.connection.close();
  await connection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function recordRuns(): Promise<void> {
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
  // An alert-started production run: a first approval, then a second person's (patched 'four-eyes-by-option').
  await record(
    'guided-alert-two-people',
    'guided',
    { namespace: 'production' },
    async (id) => {
      await whenWaiting(id);
      const handle = client.workflow.getHandle(id);
      await handle.executeUpdate(decideUpdate, {
        args: [{ option: 'mark-it', by: { ...alice, roles: ['responder'] } }],
      });
      await handle.executeUpdate(decideUpdate, { args: [{ option: 'mark-it', by: bob }] });
    },
    {
      requestedBy: { id: 'alertmanager', name: 'alert CheckoutDown', via: 'alert' },
      trigger: { kind: 'alert', alertname: 'CheckoutDown' },
    },
  );
}
