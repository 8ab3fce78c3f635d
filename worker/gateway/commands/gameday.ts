// `/nightshift gameday run|status|stop|schedules|schedule ...`: game days from
// Slack. Experiments are validated before the ack (problems come back at
// once); starting, stopping and schedule changes happen after it.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { catalogue } from '../../catalogue.ts';
import { EXPERIMENT_NAME, loadExperimentByName } from '../../gamedays.ts';
import { RunRequestError } from '../../runs.ts';
import { createSchedule, listSchedules, onSchedule, ScheduleError } from '../../schedules.ts';
import { gamedayStatusQuery, stopGamedaySignal, describeScore } from '../../../workflows/index.ts';
import { echo, echoError } from './echo.ts';
import { ephemeral, UsageProblem, type Invocation, type Plan, type Respond, type Subcommand } from './types.ts';

const USAGE =
  '/nightshift gameday run <experiment> | status <id> | stop <id> | schedules | ' +
  'schedule create <experiment> every <30m> [tz <zone>] | schedule create <experiment> cron "<expr>" [tz <zone>] | ' +
  'schedule pause|unpause|trigger|delete <schedule-id>';

const say = (respond: Respond, text: string) => respond({ response_type: 'in_channel', text });

/** Game-day and schedule ids as nightshift makes them; anything else is refused before Temporal sees it. */
const ID = /^[\w.-]{1,200}$/;

function checkedId(id: string, what: string): string {
  if (!ID.test(id)) throw new UsageProblem(`"${echo(id)}" is not a ${what} id`);
  return id;
}

/** An experiment by name from runbooks/experiments/ only: never a path, so Slack cannot make the gateway read a file. */
function experiment(name: string | undefined, ctx: Invocation['ctx']) {
  if (!name) throw new UsageProblem('which experiment? e.g. `/nightshift gameday run cart-drop`');
  if (!EXPERIMENT_NAME.test(name))
    throw new UsageProblem(
      `"${echo(name)}" is not an experiment name (lowercase letters, digits and dashes: a file in runbooks/experiments/)`,
    );
  try {
    return loadExperimentByName(name, ctx.config, catalogue());
  } catch (err) {
    if (err instanceof RunRequestError)
      throw new UsageProblem(`Cannot use *${name}*: ${err.problems.map((p) => `\n• ${echo(p, 300)}`).join('')}`);
    throw err;
  }
}

function runPlan([name]: string[], { command, ctx }: Invocation): Plan {
  const input = experiment(name, ctx);
  const workflowId = `gameday-${input.experiment.name}-slack-${createHash('sha256').update(command.trigger_id).digest('hex').slice(0, 10)}`;
  return {
    ack: {
      response_type: 'in_channel',
      text: `🧪 <@${command.user_id}> is starting game day *${echo(input.experiment.title)}* as \`${workflowId}\`.`,
    },
    async after(respond) {
      try {
        await ctx.client.workflow.start('gamedayWorkflow', {
          taskQueue: ctx.config.temporal.taskQueue,
          workflowId,
          args: [
            {
              ...input,
              ...(input.channel ? {} : { channel: ctx.channel }),
              trigger: { via: 'slack', by: command.user_name ?? command.user_id },
            },
          ],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return; // a repeated delivery
        await respond(ephemeral(`Could not start the game day: ${echoError(err)}`));
      }
    },
  };
}

function onGameday([given]: string[], { ctx, command }: Invocation, what: 'status' | 'stop'): Plan {
  if (!given) throw new UsageProblem(`which game day? \`/nightshift gameday ${what} <gameday-id>\``);
  const id = checkedId(given, 'game-day');
  return {
    ack: ephemeral(what === 'stop' ? `Stopping ${id}; its fault is reverted at once.` : `Looking up ${id}…`),
    async after(respond) {
      const handle = ctx.client.workflow.getHandle(id);
      if (what === 'stop') {
        await handle.signal(stopGamedaySignal, {
          reason: 'stopped from Slack',
          by: command.user_name ?? command.user_id,
        });
        await say(respond, `🛑 <@${command.user_id}> stopped game day \`${id}\`.`);
        return;
      }
      const s = await handle.query(gamedayStatusQuery);
      const last = s.timeline
        .slice(-5)
        .map((e) => `\n• ${e.at.slice(11, 19)} ${e.event}${e.detail ? ` — ${echo(e.detail, 200)}` : ''}`)
        .join('');
      await respond(
        ephemeral(
          `*${s.experiment}* is ${s.state}${s.runId ? ` (run \`${s.runId}\`)` : ''}${last}${s.score ? `\n${describeScore(s.experiment, s.score)}` : ''}`,
        ),
      );
    },
  };
}

function schedulePlan([action, ...rest]: string[], { ctx, command }: Invocation): Plan {
  if (action === 'create') {
    const [name, how, value, tzWord, tz] = rest;
    if ((how !== 'every' && how !== 'cron') || !value)
      throw new UsageProblem('say `every <duration>` or `cron "<expression>"`');
    if (tzWord !== undefined && (tzWord !== 'tz' || !tz))
      throw new UsageProblem('a time zone is given as `tz Europe/Oslo`');
    const input = experiment(name, ctx);
    const id = `gameday-${input.experiment.name}`;
    return {
      ack: ephemeral(
        `Scheduling *${echo(input.experiment.title)}* (${how} ${echo(value)}${tz ? `, ${echo(tz)}` : ''}) as \`${id}\`…`,
      ),
      async after(respond) {
        try {
          const view = await createSchedule(ctx.client, ctx.config, input, {
            id,
            ...(how === 'every' ? { every: value } : { cron: [value] }),
            ...(tz ? { timezone: tz } : {}),
            note: `by ${command.user_name ?? command.user_id} from Slack`,
          });
          await say(
            respond,
            `🗓 <@${command.user_id}> scheduled *${echo(input.experiment.title)}*: ${echo(view.spec)}; next ${view.nextRuns[0] ?? 'not planned'}.`,
          );
        } catch (err) {
          await respond(ephemeral(`Could not schedule it: ${echoError(err)}`));
        }
      },
    };
  }
  if (action === 'pause' || action === 'unpause' || action === 'trigger' || action === 'delete') {
    const [given] = rest;
    if (!given) throw new UsageProblem(`which schedule? \`/nightshift gameday schedule ${action} <schedule-id>\``);
    const id = checkedId(given, 'schedule');
    return {
      ack: ephemeral(`${action} ${id}…`),
      async after(respond) {
        try {
          await onSchedule(ctx.client, id, action, `by ${command.user_name ?? command.user_id} from Slack`);
          await say(respond, `🗓 <@${command.user_id}>: ${action} \`${id}\` done.`);
        } catch (err) {
          await respond(ephemeral(err instanceof ScheduleError ? echoError(err) : `Failed: ${echoError(err)}`));
        }
      },
    };
  }
  throw new UsageProblem(`unknown schedule action "${echo(action ?? '')}"`);
}

function plan(invocation: Invocation): Plan {
  const [sub, ...rest] = invocation.args;
  const subs: Record<string, () => Plan> = {
    run: () => runPlan(rest, invocation),
    status: () => onGameday(rest, invocation, 'status'),
    stop: () => onGameday(rest, invocation, 'stop'),
    schedule: () => schedulePlan(rest, invocation),
    schedules: () => ({
      ack: ephemeral('Looking up schedules…'),
      async after(respond) {
        const views = await listSchedules(invocation.ctx.client);
        await respond(
          ephemeral(
            views.length
              ? views
                  .map(
                    (v) =>
                      `• \`${v.id}\` ${v.experiment}: ${v.spec}${v.paused ? ' (paused)' : ''}${v.nextRuns[0] ? `, next ${v.nextRuns[0]}` : ''}`,
                  )
                  .join('\n')
              : 'No scheduled game days.',
          ),
        );
      },
    }),
  };
  const chosen = sub && Object.hasOwn(subs, sub) ? subs[sub] : undefined;
  if (!chosen) throw new UsageProblem(sub ? `unknown gameday action "${echo(sub)}"` : 'what should the game day do?');
  return chosen();
}

export const gameday: Subcommand = {
  usage: USAGE,
  summary: 'run, follow, stop and schedule game days (chaos-operator)',
  permission: 'faults',
  plan,
};
