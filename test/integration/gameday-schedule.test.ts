// Scheduled game days on the real dev server: a seconds-scale schedule fires,
// a paused one does not, and a game day inside a blackout window refuses and
// says why. The experiment's steady state never holds, so nothing is injected.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { formatProblem } from '../../runbooks/index.ts';
import { loadConfig, type Config } from '../../worker/config.ts';
import { loadExperiment } from '../../worker/gamedays.ts';
import { createSchedule, describeSchedule, listSchedules, onSchedule, ScheduleError } from '../../worker/schedules.ts';
import type { GamedayInput, GamedayStatus } from '../../workflows/index.ts';
import { createTestActivities } from '../fixtures/engine/activities.ts';
import { testCatalogue } from '../fixtures/engine/catalogue.ts';
import { testEnv, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let config: Config;
let input: Omit<GamedayInput, 'trigger'>;
let dir: string;
const created: string[] = [];

beforeAll(async () => {
  env = await testEnv();
  dir = mkdtempSync(join(tmpdir(), 'nightshift-schedules-'));
  const base = loadConfig({});
  config = { ...base, temporal: { ...base.temporal, taskQueue: uniqueQueue('gameday') } };
  const text = readFileSync(fileURLToPath(new URL('../fixtures/gameday/refused.yaml', import.meta.url)), 'utf8');
  const loaded = loadExperiment(text, config, testCatalogue);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  input = loaded.input;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...createActivities(), ...createTestActivities(dir) },
  });
  running = worker.run();
});

afterAll(async () => {
  for (const id of created) await onSchedule(env.client, id, 'delete').catch(() => undefined);
  worker.shutdown();
  await running;
  await env.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function scheduleId(name: string): string {
  const id = `${name}-${config.temporal.taskQueue}`;
  created.push(id);
  return id;
}

async function firstRun(id: string, timeoutMs = 20_000): Promise<GamedayStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await describeSchedule(env.client, id);
    const run = view.recentRuns[0];
    if (run) return env.client.workflow.getHandle(run.workflowId).result() as Promise<GamedayStatus>;
    if (Date.now() > deadline) throw new Error(`schedule ${id} did not fire`);
    await sleep(250);
  }
}

describe('scheduled game days', () => {
  test('a schedule with a seconds-scale interval fires; the game day checks the steady state and refuses', async () => {
    const id = scheduleId('every-2s');
    const view = await createSchedule(env.client, config, input, { id, every: '2s' });
    expect(view).toMatchObject({ id, experiment: 'never-steady', paused: false, spec: 'every 2s' });
    const status = await firstRun(id);
    expect(status.state).toBe('refused');
    expect(status.timeline.at(-1)?.detail).toMatch(
      /steady state does not hold \(.*"value":"bad".*failing: .*"op":"eq","value":"ok"/,
    );
    expect((await listSchedules(env.client)).map((s) => s.id)).toContain(id);
    await onSchedule(env.client, id, 'pause', 'enough');
    expect((await describeSchedule(env.client, id)).paused).toBe(true);
  });

  test('a paused schedule does not fire, until triggered by hand', async () => {
    const id = scheduleId('paused');
    await createSchedule(env.client, config, input, { id, every: '1s', paused: true });
    await sleep(3500);
    expect((await describeSchedule(env.client, id)).recentRuns).toEqual([]);
    await onSchedule(env.client, id, 'trigger');
    expect((await firstRun(id)).state).toBe('refused');
  });

  test('inside a blackout window a scheduled game day refuses and says which window', async () => {
    const id = scheduleId('blackout');
    const now = Date.now();
    const blackouts = [
      {
        from: new Date(now - 60_000).toISOString(),
        to: new Date(now + 3_600_000).toISOString(),
        reason: 'release freeze',
      },
    ];
    await createSchedule(env.client, config, { ...input, blackouts }, { id, every: '2s', timezone: 'Europe/Oslo' });
    const status = await firstRun(id);
    expect(status.state).toBe('refused');
    expect(status.score?.reasons[0]).toMatch(/refused to start: now is inside a blackout .* \(release freeze\)/);
    // It refused before checking anything: the probe was never called.
    expect(status.timeline.map((e) => e.event)).toEqual(['refused']);
  });

  test('bad schedule requests are refused with the reason', async () => {
    await expect(createSchedule(env.client, config, input, { id: 'x' })).rejects.toThrow(ScheduleError);
    await expect(createSchedule(env.client, config, input, { id: 'x', every: '10ms' })).rejects.toThrow(/at least 1s/);
    await expect(
      createSchedule(env.client, config, input, { id: 'x', every: '1m', timezone: 'Mars/Olympus' }),
    ).rejects.toThrow(/not a known time zone/);
    await expect(onSchedule(env.client, 'no-such-schedule', 'pause')).rejects.toThrow(/no schedule "no-such-schedule"/);
  });
});
