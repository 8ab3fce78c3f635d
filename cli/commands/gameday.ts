// `nightshift gameday run|status|stop|validate|schedule ...`
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { formatProblem } from '../../runbooks/index.ts';
import { gamedayStatusQuery, stopGamedaySignal, type GamedayStatus } from '../../workflows/index.ts';
import { describeScore } from '../../workflows/index.ts';
import {
  catalogue,
  loadConfig,
  findExperiment,
  loadExperiment,
  loadExperimentFile,
  startGameday,
  connectClient,
} from '../../worker/index.ts';
import {
  createSchedule,
  describeSchedule,
  listSchedules,
  onSchedule,
  ScheduleError,
  type ScheduleView,
} from '../../worker/index.ts';
import { group, jsonFlag, parse, printJson, UsageError, type Command, type Io } from '../command.ts';

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient(loadConfig());
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

function one(positionals: string[], what: string): string {
  const [value] = positionals;
  if (!value || positionals.length > 1) throw new UsageError(`expected exactly one ${what}`);
  return value;
}

function printTimeline(io: Io, status: GamedayStatus): void {
  for (const e of status.timeline) io.out(`  ${e.at.slice(11, 19)}  ${e.event}${e.detail ? ` — ${e.detail}` : ''}`);
}

const run: Command = {
  summary: 'run an experiment now (and follow it with --wait)',
  usage: 'usage: nightshift gameday run <experiment> [--wait] [--ignore-blackouts] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      wait: { type: 'boolean', default: false },
      'ignore-blackouts': { type: 'boolean', default: false },
      ...jsonFlag,
    });
    const config = loadConfig();
    const input = loadExperimentFile(one(positionals, 'experiment'), config, catalogue());
    return withClient(async (client) => {
      const handle = await startGameday(client, config, {
        ...input,
        trigger: { via: 'cli', by: process.env.USER ?? 'cli' },
        ...(values['ignore-blackouts'] ? { ignoreBlackouts: true } : {}),
      });
      if (!values.wait) {
        if (values.json) printJson(io, { gamedayId: handle.workflowId });
        else io.out(`started ${handle.workflowId} (nightshift gameday status ${handle.workflowId})`);
        return 0;
      }
      let seen = 0;
      const result = handle.result() as Promise<GamedayStatus>;
      let done = false;
      void result.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        const status = await handle.query(gamedayStatusQuery).catch(() => undefined);
        if (status && !values.json)
          for (const e of status.timeline.slice(seen))
            io.out(`${e.at.slice(11, 19)}  ${e.event}${e.detail ? ` — ${e.detail}` : ''}`);
        if (status) seen = status.timeline.length;
        await sleep(500);
      }
      const final = await result;
      if (values.json) printJson(io, { gamedayId: handle.workflowId, ...final });
      else {
        for (const e of final.timeline.slice(seen))
          io.out(`${e.at.slice(11, 19)}  ${e.event}${e.detail ? ` — ${e.detail}` : ''}`);
        if (final.score) io.out(describeScore(final.experiment, final.score).replace(/\*/g, ''));
      }
      return final.state === 'passed' ? 0 : 1;
    });
  },
};

const status: Command = {
  summary: 'show a game day: state, timeline, score',
  usage: 'usage: nightshift gameday status <gameday-id> [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, jsonFlag);
    const id = one(positionals, 'game-day id');
    const s = await withClient((client) => client.workflow.getHandle(id).query(gamedayStatusQuery));
    if (values.json) printJson(io, { gamedayId: id, ...s });
    else {
      io.out(`${id}: ${s.experiment} is ${s.state}${s.runId ? ` (runbook run ${s.runId})` : ''}`);
      printTimeline(io, s);
      if (s.score) io.out(describeScore(s.experiment, s.score).replace(/\*/g, ''));
    }
    return 0;
  },
};

const stop: Command = {
  summary: 'stop a running game day: the fault is reverted at once',
  usage: 'usage: nightshift gameday stop <gameday-id> [--reason <text>]',
  async run(args, io) {
    const { values, positionals } = parse(args, { reason: { type: 'string', default: 'stopped from the CLI' } });
    const id = one(positionals, 'game-day id');
    await withClient((client) =>
      client.workflow.getHandle(id).signal(stopGamedaySignal, { reason: values.reason, by: process.env.USER ?? 'cli' }),
    );
    io.out(`stop sent to ${id}`);
    return 0;
  },
};

const validate: Command = {
  summary: 'check an experiment file and report every problem with its path',
  usage: 'usage: nightshift gameday validate <file> [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, jsonFlag);
    const name = one(positionals, 'experiment file');
    const file = findExperiment(name);
    if (!file) {
      io.err(`${name}: no such experiment file`);
      return 1;
    }
    const result = loadExperiment(readFileSync(file, 'utf8'), loadConfig(), catalogue());
    if (values.json)
      printJson(
        io,
        result.ok ? { ok: true, file, experiment: result.input } : { ok: false, file, problems: result.problems },
      );
    else if (result.ok)
      io.out(
        `${file}: ok — experiment "${result.input.experiment.name}": ${result.input.fault.spec.kind} fault for ${result.input.fault.spec.duration}, expecting ${result.input.expect.hypothesis}`,
      );
    else {
      io.err(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
      for (const p of result.problems) io.err(`  ${formatProblem(p)}`);
    }
    return result.ok ? 0 : 1;
  },
};

function printSchedule(io: Io, v: ScheduleView): void {
  io.out(`${v.id}: ${v.experiment}, ${v.spec}${v.paused ? ', PAUSED' : ''}${v.note ? ` (${v.note})` : ''}`);
  if (v.nextRuns.length) io.out(`  next: ${v.nextRuns.join(', ')}`);
  for (const r of v.recentRuns.slice(-3)) io.out(`  ran: ${r.scheduledAt} → ${r.workflowId}`);
}

function scheduleCommand(action: 'pause' | 'unpause' | 'trigger' | 'delete', summary: string): Command {
  return {
    summary,
    usage: `usage: nightshift gameday schedule ${action} <schedule-id>${action === 'pause' ? ' [--reason <text>]' : ''}`,
    async run(args, io) {
      const { values, positionals } = parse(args, { reason: { type: 'string' } });
      const id = one(positionals, 'schedule id');
      await withClient((client) => onSchedule(client, id, action, values.reason));
      io.out(`${action}${action.endsWith('e') ? 'd' : 'ed'} schedule ${id}`);
      return 0;
    },
  };
}

const schedule = group(
  'manage scheduled game days (Temporal Schedules)',
  {
    create: {
      summary: 'schedule an experiment: --every <duration> or --cron "<expr>" [--timezone Europe/Oslo]',
      usage:
        'usage: nightshift gameday schedule create <experiment> (--every 24h | --cron "0 10 * * 1-5") [--timezone <tz>] [--id <schedule-id>] [--paused] [--json]',
      async run(args, io) {
        const { values, positionals } = parse(args, {
          every: { type: 'string' },
          cron: { type: 'string', multiple: true, default: [] },
          timezone: { type: 'string' },
          id: { type: 'string' },
          paused: { type: 'boolean', default: false },
          ...jsonFlag,
        });
        const config = loadConfig();
        const input = loadExperimentFile(one(positionals, 'experiment'), config, catalogue());
        try {
          const view = await withClient((client) =>
            createSchedule(client, config, input, {
              id: values.id ?? `gameday-${input.experiment.name}`,
              ...(values.every ? { every: values.every } : {}),
              cron: values.cron,
              ...(values.timezone ? { timezone: values.timezone } : {}),
              paused: values.paused,
            }),
          );
          if (values.json) printJson(io, view);
          else printSchedule(io, view);
          return 0;
        } catch (err) {
          if (err instanceof ScheduleError) throw new UsageError(err.message);
          throw err;
        }
      },
    },
    list: {
      summary: 'list scheduled game days',
      usage: 'usage: nightshift gameday schedule list [--json]',
      async run(args, io) {
        const { values } = parse(args, jsonFlag, false);
        const views = await withClient(listSchedules);
        if (values.json) printJson(io, views);
        else if (views.length === 0) io.out('no scheduled game days');
        else views.forEach((v) => printSchedule(io, v));
        return 0;
      },
    },
    describe: {
      summary: 'show one schedule',
      usage: 'usage: nightshift gameday schedule describe <schedule-id> [--json]',
      async run(args, io) {
        const { values, positionals } = parse(args, jsonFlag);
        const view = await withClient((client) => describeSchedule(client, one(positionals, 'schedule id')));
        if (values.json) printJson(io, view);
        else printSchedule(io, view);
        return 0;
      },
    },
    pause: scheduleCommand('pause', 'pause a schedule'),
    unpause: scheduleCommand('unpause', 'resume a paused schedule'),
    trigger: scheduleCommand('trigger', 'run a scheduled game day now'),
    delete: scheduleCommand('delete', 'delete a schedule'),
  },
  'gameday schedule',
);

export const gamedayCommand = group('run and schedule game days', { run, status, stop, validate, schedule }, 'gameday');
