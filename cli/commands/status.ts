// `nightshift status <run-id>`, `decide <run-id> <option>`, `abort <run-id>`
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { abortSignal, decideUpdate, statusQuery } from '../../workflows/index.ts';
import { cliIdentity, loadConfig, connectClient } from '../../worker/index.ts';
import { jsonFlag, localUser, parse, printJson, UsageError, type Command } from '../command.ts';
import { describeChanges, summarise } from '../progress.ts';

async function withClient<T>(fn: (client: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> {
  const client = await connectClient(loadConfig());
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

export const statusCommand: Command = {
  summary: 'show a run: state, steps, pending decision, diagnosis',
  usage: 'usage: nightshift status <run-id> [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, jsonFlag);
    const [runId] = positionals;
    if (!runId || positionals.length > 1) throw new UsageError('expected exactly one run id');
    const status = await withClient((client) => client.workflow.getHandle(runId).query(statusQuery));
    if (values.json) {
      printJson(io, { runId, ...status });
      return 0;
    }
    io.out(`${runId}: ${status.runbook} is ${status.state}${status.currentStep ? ` at ${status.currentStep}` : ''}`);
    for (const line of describeChanges(undefined, status)) io.out(`  ${line}`);
    for (const line of summarise(status).slice(1)) io.out(line);
    return 0;
  },
};

export const decideCommand: Command = {
  summary: "answer a run's open decision (as a Slack button would), as the Slack user access.cli maps you to",
  usage:
    'usage: nightshift decide <run-id> <option> [--step <id>] [--comment <text>] [--json]\n' +
    'You decide as the Slack user config maps your login to (access.cli), with the roles access.users gives that user;\n' +
    'an unmapped login is cli:<login> and may not approve a change that needs four eyes.',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      step: { type: 'string' },
      comment: { type: 'string' },
      ...jsonFlag,
    });
    const [runId, option] = positionals;
    if (!runId || !option || positionals.length > 2) throw new UsageError('expected a run id and an option');
    const { mapped, ...by } = cliIdentity(loadConfig().access, localUser());
    if (!mapped && !values.json) io.err(`deciding as ${by.id} (not mapped to a Slack user in access.cli)`);
    try {
      const record = await withClient((client) =>
        client.workflow.getHandle(runId).executeUpdate(decideUpdate, {
          args: [
            {
              option,
              by,
              ...(values.step ? { step: values.step } : {}),
              ...(values.comment ? { comment: values.comment } : {}),
            },
          ],
        }),
      );
      if (values.json) printJson(io, { accepted: true, ...record });
      else if (record.awaitingSecond)
        io.out(
          `recorded: "${record.option}" at ${record.step} by ${record.by.id}; an alert started this run, so a second approver must choose it too`,
        );
      else io.out(`accepted: "${record.option}" at ${record.step} by ${record.by.id}`);
      return 0;
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const reason = err.cause?.message ?? err.message;
      if (values.json) printJson(io, { accepted: false, reason });
      else io.err(`refused: ${reason}`);
      return 1;
    }
  },
};

export const abortCommand: Command = {
  summary: 'stop a run cleanly; its registered undos run',
  usage: 'usage: nightshift abort <run-id> [--reason <text>]',
  async run(args, io) {
    const { positionals, values } = parse(args, { reason: { type: 'string', default: 'aborted from the CLI' } });
    const [runId] = positionals;
    if (!runId || positionals.length > 1) throw new UsageError('expected exactly one run id');
    await withClient((client) =>
      client.workflow.getHandle(runId).signal(abortSignal, {
        reason: values.reason,
        by: (({ id, name, via }) => ({ id, name, via }))(cliIdentity(loadConfig().access, localUser())),
      }),
    );
    io.out(`abort sent to ${runId}`);
    return 0;
  },
};
