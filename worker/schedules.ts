// Scheduled game days as Temporal Schedules: created, listed, paused,
// triggered and deleted from the CLI and from Slack. Overlap policy SKIP: a
// game day still running when the next one is due makes the next one skip.
import { ScheduleNotFoundError, type Client, type ScheduleSpec } from '@temporalio/client';
import { parseDuration } from '../model/index.ts';
import type { GamedayInput } from '../workflows/index.ts';
import type { Config } from './config.ts';

export interface ScheduleRequest {
  id: string;
  /** An interval like "30s" or "24h". */
  every?: string;
  /** Cron expressions like "0 10 * * 1-5" (minute hour day month weekday). */
  cron?: string[];
  timezone?: string;
  paused?: boolean;
  note?: string;
}

export interface ScheduleView {
  id: string;
  experiment: string;
  paused: boolean;
  note?: string;
  spec: string;
  nextRuns: string[];
  recentRuns: { scheduledAt: string; workflowId: string }[];
}

export class ScheduleError extends Error {}

function specOf(request: ScheduleRequest): ScheduleSpec {
  if (!request.every && !request.cron?.length)
    throw new ScheduleError('give --every <duration> or --cron "<expression>"');
  const every = request.every ? parseDuration(request.every) : undefined;
  if (request.every && (every === undefined || every < 1000))
    throw new ScheduleError(`--every ${request.every}: expected a duration of at least 1s, like "30s" or "24h"`);
  if (
    request.timezone &&
    !Intl.supportedValuesOf('timeZone').includes(request.timezone) &&
    request.timezone !== 'UTC'
  ) {
    throw new ScheduleError(`--timezone ${request.timezone}: not a known time zone (e.g. Europe/Oslo)`);
  }
  return {
    ...(every ? { intervals: [{ every }] } : {}),
    ...(request.cron?.length ? { cronExpressions: request.cron } : {}),
    ...(request.timezone ? { timezone: request.timezone } : {}),
  };
}

export async function createSchedule(
  client: Client,
  config: Config,
  input: Omit<GamedayInput, 'trigger'>,
  request: ScheduleRequest,
): Promise<ScheduleView> {
  const handle = await client.schedule.create({
    scheduleId: request.id,
    spec: specOf(request),
    action: {
      type: 'startWorkflow',
      workflowType: 'gamedayWorkflow',
      workflowId: `gameday-${request.id}`,
      taskQueue: config.temporal.taskQueue,
      args: [{ ...input, trigger: { via: 'schedule', by: request.id } } satisfies GamedayInput],
    },
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
    state: { paused: request.paused ?? false, ...(request.note ? { note: request.note } : {}) },
    memo: { experiment: input.experiment.name },
  });
  return describeSchedule(client, handle.scheduleId);
}

export async function describeSchedule(client: Client, id: string): Promise<ScheduleView> {
  const d = await client.schedule.getHandle(id).describe();
  const args = d.action.type === 'startWorkflow' ? (d.action.args as unknown[]) : [];
  const input = args[0] as Partial<GamedayInput> | undefined;
  const spec = [
    ...(d.spec.intervals ?? []).map((i) => `every ${Math.round(Number(i.every) / 1000)}s`),
    ...(d.spec.calendars ?? []).map((c) => `calendar ${JSON.stringify(c)}`),
  ].join('; ');
  return {
    id,
    experiment: input?.experiment?.name ?? String(d.memo?.experiment ?? '?'),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    spec: `${spec}${d.spec.timezone ? ` (${d.spec.timezone})` : ''}`,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : '',
    })),
  };
}

export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type === 'startWorkflow' && s.action.workflowType !== 'gamedayWorkflow') continue;
    views.push(await describeSchedule(client, s.scheduleId));
  }
  return views;
}

/** Run a schedule action against a schedule, turning "no such schedule" into a clear error. */
export async function onSchedule(
  client: Client,
  id: string,
  action: 'pause' | 'unpause' | 'trigger' | 'delete',
  note?: string,
): Promise<void> {
  const handle = client.schedule.getHandle(id);
  try {
    const actions = {
      pause: () => handle.pause(note ?? 'paused from nightshift'),
      unpause: () => handle.unpause(note ?? 'unpaused from nightshift'),
      trigger: () => handle.trigger('SKIP'),
      delete: () => handle.delete(),
    };
    await actions[action]();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new ScheduleError(`no schedule "${id}" (see \`nightshift gameday schedule list\`)`);
    throw err;
  }
}
