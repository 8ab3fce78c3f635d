// `/nightshift run <runbook> [k=v ...]`: validate here (the ack carries any
// problem), ack, then start the run. The workflow id comes from the command's
// trigger id, so a repeated delivery of the same command finds the run it
// already started instead of starting a second one.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { idSchema } from '../../../runbooks/index.ts';
import type { runbookWorkflow } from '../../../workflows/index.ts';
import { buildRunInput, RunRequestError } from '../../runs.ts';
import { echo, echoError } from './echo.ts';
import { keyValues } from './parse.ts';
import { ephemeral, UsageProblem, type Invocation, type Plan, type Subcommand } from './types.ts';

export function runIdFor(runbook: string, triggerId: string): string {
  return `${runbook}-slack-${createHash('sha256').update(triggerId).digest('hex').slice(0, 12)}`;
}

function plan({ args, command, ctx }: Invocation): Plan {
  const [name, ...rest] = args;
  if (!name) throw new UsageProblem('which runbook? e.g. `/nightshift run traffic-vanish namespace=production`');
  if (!idSchema.safeParse(name).success)
    throw new UsageProblem(`"${echo(name)}" is not a runbook name (lowercase letters, digits and dashes)`);
  const params = keyValues(rest);
  const requestedBy = { id: command.user_id, ...(command.user_name ? { name: command.user_name } : {}), via: 'slack' };
  let input;
  try {
    const runbook = ctx.runbooks(name);
    input = buildRunInput(
      {
        runbook,
        params,
        requestedBy,
        notify: { channel: ctx.channel },
        trigger: { source: 'slack', channel: command.channel_id },
      },
      ctx.config,
    );
  } catch (err) {
    if (err instanceof RunRequestError)
      return { ack: ephemeral(`Cannot start *${name}*: ${err.problems.map((p) => `\n• ${echo(p, 300)}`).join('')}`) };
    throw err;
  }
  const workflowId = runIdFor(name, command.trigger_id);
  return {
    ack: ephemeral(`Starting *${name}* as \`${workflowId}\`; follow it in <#${ctx.channel}>.`),
    async after(respond) {
      try {
        await ctx.client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
          taskQueue: ctx.config.temporal.taskQueue,
          workflowId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
          memo: { runbook: name, requestedBy: command.user_id },
        });
        ctx.metrics.inc('nightshift_slack_runs_started_total', 'Runs started from Slack', { runbook: name });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          ctx.log.info({ workflowId }, 'repeated delivery of a run command: the run already exists');
          ctx.metrics.inc('nightshift_slack_duplicates_total', 'Repeated deliveries recognised', { kind: 'command' });
          return;
        }
        ctx.log.error({ err, workflowId }, 'could not start a run from Slack');
        await respond(ephemeral(`Could not start *${name}*: ${echoError(err)}`));
      }
    },
  };
}

export const run: Subcommand = {
  usage: '/nightshift run <runbook> [key=value ...]',
  summary: 'start a runbook; its thread appears in the incident channel',
  permission: 'run',
  plan,
};
