// The runbook interpreter on the real Temporal dev server: decisions,
// timeouts, validators, abort and cancellation with compensation.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import type { runbookWorkflow, RunbookInput } from '../../workflows/index.ts';
import { abortSignal, decideUpdate, statusQuery } from '../../workflows/index.ts';
import { type DecideRequest, type RunStatus } from '../../model/index.ts';
import { createTestActivities, readEffects } from '../fixtures/engine/activities.ts';
import { testRunbook } from '../fixtures/engine/runbooks.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let dir: string;
const taskQueue = uniqueQueue('runbook');

beforeAll(async () => {
  env = await testEnv();
  dir = mkdtempSync(join(tmpdir(), 'nightshift-effects-'));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...createActivities({ reports: { dir: join(dir, 'reports') } }), ...createTestActivities(dir) },
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
  rmSync(dir, { recursive: true, force: true });
});

const alice = { id: 'U-alice', name: 'alice', via: 'slack' };
const bob = { id: 'U-bob', name: 'bob', via: 'slack' };

function start(name: string, input: Partial<RunbookInput> = {}): Promise<WorkflowHandle<typeof runbookWorkflow>> {
  const runbook = testRunbook(name);
  const params = Object.fromEntries(
    Object.entries(runbook.parameters).flatMap(([k, p]) => (p.default === undefined ? [] : [[k, p.default]])),
  );
  return env.client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
    taskQueue,
    workflowId: `${name}-${Math.random().toString(16).slice(2)}`,
    args: [{ runbook, params, requestedBy: alice, productionNamespaces: ['production'], ...input }],
  });
}

async function waitFor(
  handle: WorkflowHandle,
  predicate: (s: RunStatus) => boolean,
  timeoutMs = 30_000,
): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`timed out; last status ${JSON.stringify(status.state)} at ${status.currentStep}`);
    await sleep(100);
  }
}

const decide = (handle: WorkflowHandle, request: DecideRequest) =>
  handle.executeUpdate(decideUpdate, { args: [request] });

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the update was accepted');
}

describe('runbook workflow', () => {
  test('runs gather → diagnose → decide → act → verify → notify, with the decision taken by an Update', async () => {
    const handle = await start('guided', { params: { namespace: 'staging' } });
    const waiting = await waitFor(handle, (s) => s.pendingDecision !== undefined);
    expect(waiting.state).toBe('waiting');
    expect(waiting.pendingDecision?.question).toBe('Apply a fix in staging?');
    expect(waiting.pendingDecision?.options.map((o) => o.id)).toEqual(['mark-it']);
    // A failing and a slow collector became findings; the run went on.
    const gathered = waiting.steps.find((s) => s.id === 'gather')?.result as {
      collectors: Record<string, { ok: boolean }>;
    };
    expect(gathered.collectors.echo?.ok).toBe(true);
    expect(gathered.collectors.broken?.ok).toBe(false);
    expect(gathered.collectors.slow?.ok).toBe(false);
    const said = (
      waiting.steps.find((s) => s.id === 'gather')?.result as { findings: { source: string; summary: string }[] }
    ).findings;
    expect(said.find((f) => f.source === 'slow')?.summary).toBe('collector slow did not answer within 1 s of starting');
    expect(waiting.diagnosis?.hypotheses[0]?.id).toBe('pod-to-pod-drop');

    const record = await decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder'] } });
    expect(record).toMatchObject({ step: 'choose', option: 'mark-it', auto: false, by: { id: 'U-bob' } });

    const final = await handle.result();
    expect(final.state).toBe('completed');
    expect(final.steps.map((s) => [s.id, s.status])).toEqual([
      ['prepare', 'done'],
      ['gather', 'done'],
      ['diagnose', 'done'],
      ['choose', 'done'],
      ['fix', 'done'],
      ['check', 'done'],
      ['tell', 'done'],
    ]);
    expect(final.steps.find((s) => s.id === 'check')?.result).toMatchObject({ ok: true, attempts: 2 });
    expect(final.steps.find((s) => s.id === 'tell')?.result).toMatchObject({
      message: 'run finished; choice was mark-it',
    });
    const fixed = readEffects(dir).filter((e) => e.key === `${handle.workflowId}/fix`);
    expect(fixed).toHaveLength(1);
  });

  test('a collector no worker starts is named as such, and the run goes on', async () => {
    const final = await (await start('unstarted')).result();
    expect(final.state).toBe('completed');
    const gathered = final.steps.find((s) => s.id === 'gather')?.result as {
      collectors: Record<string, { ok: boolean }>;
      findings: { source: string; summary: string }[];
    };
    expect(gathered.collectors.echo?.ok).toBe(true);
    expect(gathered.collectors.stranded?.ok).toBe(false);
    expect(gathered.findings.find((f) => f.source === 'stranded')?.summary).toBe(
      'collector stranded did not start within 2 s: no worker picked it up (busy or gone)',
    );
  });

  test('a decision nobody answers takes its default when the timeout passes', async () => {
    const handle = await start('timeout');
    const final = await handle.result();
    expect(final.decisions).toEqual([expect.objectContaining({ step: 'choose', option: 'mark-it', auto: true })]);
    expect(final.steps.find((s) => s.id === 'fix')?.result).toMatchObject({ action: 'mark', changed: true });
  });

  test('the validator refuses unauthorised deciders, unknown options and a second decision; the run keeps waiting', async () => {
    const handle = await start('guided', { params: { namespace: 'staging' } });
    await waitFor(handle, (s) => s.pendingDecision !== undefined);

    expect(await refusal(decide(handle, { option: 'mark-it', by: { ...bob, roles: ['viewer'] } }))).toMatch(
      /bob is not authorised to decide here \(needs role responder\)/,
    );
    expect(
      await refusal(decide(handle, { option: 'reboot-everything', by: { ...bob, roles: ['responder'] } })),
    ).toMatch(/unknown option "reboot-everything" \(options: mark-it, deny\)/);
    expect(
      await refusal(decide(handle, { step: 'other', option: 'mark-it', by: { ...bob, roles: ['responder'] } })),
    ).toMatch(/no decision is open at step "other"/);
    const still = await handle.query(statusQuery);
    expect(still.state).toBe('waiting');
    expect(still.decisions).toHaveLength(0);

    await decide(handle, { option: 'deny', by: { ...bob, roles: ['responder'] } });
    expect(
      await refusal(decide(handle, { step: 'choose', option: 'mark-it', by: { ...bob, roles: ['responder'] } })),
    ).toMatch(/already decided: "deny" by bob/);
    const final = await handle.result();
    expect(final.decisions).toHaveLength(1);
    expect(final.steps.find((s) => s.id === 'fix')?.result).toMatchObject({ skipped: 'declined at choose' });
    expect(final.steps.find((s) => s.id === 'check')?.status).toBe('skipped');
  });

  test('in a production namespace the requester cannot approve their own remediation, nor a responder without the approver role', async () => {
    const handle = await start('guided', { params: { namespace: 'production' } });
    const waiting = await waitFor(handle, (s) => s.pendingDecision !== undefined);
    expect(waiting.pendingDecision?.secondPerson).toBe(true);
    // The option acts in the run's namespace (its action says nothing else): four eyes, and why.
    expect(waiting.pendingDecision?.options[0]).toMatchObject({
      id: 'mark-it',
      fourEyes: ['production namespace production'],
    });
    expect(
      await refusal(decide(handle, { option: 'mark-it', by: { ...alice, roles: ['responder', 'approver'] } })),
    ).toMatch(/alice started this run and cannot approve its remediation here; a second person must decide/);
    expect(await refusal(decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder'] } }))).toMatch(
      /bob may not approve here: "Mark it.*" changes production namespace production, which needs the approver role/,
    );
    expect((await handle.query(statusQuery)).decisions).toEqual([]);
    await decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder', 'approver'] } });
    expect((await handle.result()).state).toBe('completed');
  });

  test('an alert-started production run needs two people: the first choice waits for an approver who is someone else', async () => {
    const handle = await start('guided', {
      params: { namespace: 'production' },
      requestedBy: { id: 'alertmanager', name: 'alert CheckoutDown', via: 'alert' },
      trigger: { kind: 'alert', alertname: 'CheckoutDown' },
    });
    const waiting = await waitFor(handle, (s) => s.pendingDecision !== undefined);
    expect(waiting.pendingDecision?.twoPeople).toBe(true);
    const first = await decide(handle, { option: 'mark-it', by: { ...alice, roles: ['responder'] } });
    expect(first).toMatchObject({ option: 'mark-it', by: { id: 'U-alice' }, awaitingSecond: true });
    const after = await handle.query(statusQuery);
    expect(after.decisions).toEqual([]);
    expect(after.pendingDecision?.firstApproval).toMatchObject({ option: 'mark-it', by: { id: 'U-alice' } });
    expect(
      await refusal(decide(handle, { option: 'mark-it', by: { ...alice, roles: ['responder', 'approver'] } })),
    ).toMatch(/alice already approved "Mark it.*" changes production namespace production; .*a second person/);
    expect(await refusal(decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder'] } }))).toMatch(
      /bob may not approve here: .*which needs the approver role/,
    );
    const second = await decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder', 'approver'] } });
    expect(second).toMatchObject({ option: 'mark-it', by: { id: 'U-bob' }, firstBy: { id: 'U-alice' } });
    expect(second.awaitingSecond).toBeUndefined();
    const final = await handle.result();
    expect(final.state).toBe('completed');
    expect(final.decisions).toEqual([
      expect.objectContaining({ option: 'mark-it', firstBy: expect.objectContaining({ id: 'U-alice' }) }),
    ]);
  });

  test('abort stops the run cleanly and runs registered compensations', async () => {
    const handle = await start('guided', { params: { namespace: 'staging' } });
    await waitFor(handle, (s) => s.pendingDecision !== undefined);
    await handle.signal(abortSignal, { reason: 'game day over', by: bob });
    const final = await handle.result();
    expect(final.state).toBe('aborted');
    expect(final.abort).toEqual({ reason: 'game day over', by: bob });
    expect(final.compensations).toEqual([{ step: 'prepare', activity: 'testUnmark', status: 'done' }]);
    expect(
      readEffects(dir)
        .filter((e) => e.key === `${handle.workflowId}/prepare`)
        .map((e) => e.kind),
    ).toEqual(['mark', 'unmark']);
    // A finished run takes no Updates at all: the server answers that it is gone.
    await expect(decide(handle, { option: 'mark-it', by: { ...bob, roles: ['responder'] } })).rejects.toThrow(
      /already completed/,
    );
  });

  test('cancelling the workflow also runs compensations, then ends cancelled', async () => {
    const handle = await start('guided', { params: { namespace: 'staging' } });
    await waitFor(handle, (s) => s.pendingDecision !== undefined);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const final = await handle.query(statusQuery);
    expect(final.state).toBe('cancelled');
    expect(final.compensations[0]?.status).toBe('done');
    expect(
      readEffects(dir)
        .filter((e) => e.key === `${handle.workflowId}/prepare`)
        .map((e) => e.kind),
    ).toContain('unmark');
  });

  test('every run ends with its report, whether it completed, was declined, aborted or failed', async () => {
    const completed = await start('three-steps');
    const declined = await start('guided', { params: { namespace: 'staging' } });
    const aborted = await start('guided', { params: { namespace: 'staging' } });
    const failed = await start('fails');
    await waitFor(declined, (s) => s.pendingDecision !== undefined);
    await decide(declined, { option: 'deny', by: { ...bob, roles: ['responder'] } });
    await waitFor(aborted, (s) => s.pendingDecision !== undefined);
    await aborted.signal(abortSignal, { reason: 'drill over', by: bob });
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);

    const ended = [
      { handle: completed, state: 'completed' },
      { handle: declined, state: 'completed' },
      { handle: aborted, state: 'aborted' },
      { handle: failed, state: 'failed' },
    ];
    for (const { handle, state } of ended) {
      const status = await waitFor(handle, (s) => s.report !== undefined);
      expect(status.state).toBe(state);
      expect(status.report).toEqual({
        markdown: join(dir, 'reports', `${handle.workflowId}.md`),
        html: join(dir, 'reports', `${handle.workflowId}.html`),
        attached: [],
      });
      expect(readFileSync(status.report?.markdown ?? '', 'utf8')).toMatch(new RegExp(`^# ${status.title}: ${state}\n`));
      expect(existsSync(status.report?.html ?? '')).toBe(true);
    }
    const declinedReport = readFileSync(join(dir, 'reports', `${declined.workflowId}.md`), 'utf8');
    expect(declinedReport).toContain('deny');
  });
});

describe('telling the thread never holds the run back', () => {
  /** What the slow publisher saw: each publication's status, and when it began and ended. */
  const published: { state: string; step?: string; began: number; ended: number }[] = [];
  const slowQueue = uniqueQueue('runbook-slow-chat');
  let slowWorker: Worker;
  let slowRunning: Promise<void>;

  beforeAll(async () => {
    slowWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: slowQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        ...createActivities({ reports: { dir: join(dir, 'reports') } }),
        ...createTestActivities(join(dir, 'slow-chat')),
        // A chat API answering in 2 s, as Slack may on a bad night (the steps themselves take far less).
        async publishRun(input: { status: RunStatus }) {
          const began = Date.now();
          await sleep(2000);
          published.push({ state: input.status.state, step: input.status.currentStep, began, ended: Date.now() });
          return { channel: 'C0INCIDENTS', ts: '1.1' };
        },
      },
    });
    slowRunning = slowWorker.run();
  });
  afterAll(async () => {
    slowWorker.shutdown();
    await slowRunning;
  });

  test('each step starts while its publication is under way; publications never overlap, one waits at most, the last one is the end', async () => {
    const handle = await env.client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
      taskQueue: slowQueue,
      workflowId: `publish-behind-${Math.random().toString(16).slice(2)}`,
      args: [
        {
          runbook: testRunbook('three-steps'),
          params: { namespace: 'staging', delayMs: 0 },
          requestedBy: alice,
          productionNamespaces: ['production'],
          notify: { channel: 'C0INCIDENTS' },
        },
      ],
    });
    expect((await handle.result()).state).toBe('completed');
    const { events } = await handle.fetchHistory();
    const scheduled = (name: string) =>
      (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    const completedIds = new Set(
      (events ?? []).flatMap((e) =>
        e.activityTaskCompletedEventAttributes ? [Number(e.activityTaskCompletedEventAttributes.scheduledEventId)] : [],
      ),
    );
    // The gather's collector was asked for before the first publication (the gather step's) had answered
    // (without publishing behind, the step would wait for that answer).
    const firstPublish = Number(scheduled('publishRun')[0]?.eventId);
    const firstCollect = Number(scheduled('testCollect')[0]?.eventId);
    const firstPublishDone = (events ?? []).find(
      (e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === firstPublish,
    );
    expect(firstCollect).toBeLessThan(Number(firstPublishDone?.eventId));
    expect(completedIds.has(firstPublish)).toBe(true);
    // In order, one at a time, and the thread's last word is the run's end.
    for (let i = 1; i < published.length; i++)
      expect(published[i]?.began).toBeGreaterThanOrEqual(published[i - 1]?.ended ?? Infinity);
    expect(published.at(-1)?.state).toBe('completed');
    // The other two steps began while the first publication was under way: one more carried them both.
    expect(published[0]?.step).toBe('gather');
    expect(published.length).toBe(3); // gather's, the one that waited, the run's end (4 without the waiting one shared)
  });
});
