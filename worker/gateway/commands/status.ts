// `/nightshift status [run-id]`: one run as its parent message shows it, or
// the runs in progress. Ack first; the answer follows through the response URL.
import { WorkflowNotFoundError } from '@temporalio/client';
import { renderRun } from '../../../activities/index.ts';
import { statusQuery } from '../../../workflows/index.ts';
import { echo } from './echo.ts';
import { ephemeral, UsageProblem, type Invocation, type Plan, type Respond, type Subcommand } from './types.ts';

const MAX_LISTED = 10;

async function one(runId: string, { ctx }: Invocation, respond: Respond): Promise<void> {
  try {
    const status = await ctx.client.workflow.getHandle(runId).query(statusQuery);
    const { parent } = renderRun(runId, status, new Date());
    await respond({ response_type: 'ephemeral', text: parent.text, blocks: parent.blocks });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return void (await respond(ephemeral(`No run \`${runId}\`.`)));
    throw err;
  }
}

async function list({ ctx }: Invocation, respond: Respond): Promise<void> {
  const lines: string[] = [];
  const query = `WorkflowType = 'runbookWorkflow' AND ExecutionStatus = 'Running'`;
  for await (const run of ctx.client.workflow.list({ query, pageSize: MAX_LISTED })) {
    lines.push(`• \`${run.workflowId}\` — started ${run.startTime.toISOString().slice(0, 19).replace('T', ' ')} UTC`);
    if (lines.length >= MAX_LISTED) break;
  }
  await respond(
    ephemeral(
      lines.length
        ? `*Runs in progress*\n${lines.join('\n')}\n_\`/nightshift status <run-id>\` for one run_`
        : 'No runs in progress.',
    ),
  );
}

function plan(invocation: Invocation): Plan {
  const [runId, ...extra] = invocation.args;
  if (extra.length) throw new UsageProblem('status takes at most one run id');
  if (runId !== undefined && !/^[\w.-]{1,200}$/.test(runId)) throw new UsageProblem(`"${echo(runId)}" is not a run id`);
  return {
    ack: undefined,
    after: (respond) => (runId ? one(runId, invocation, respond) : list(invocation, respond)),
  };
}

export const status: Subcommand = {
  usage: '/nightshift status [run-id]',
  summary: 'show one run, or the runs in progress',
  permission: 'view',
  plan,
};
