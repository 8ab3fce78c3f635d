// `nightshift run <runbook> [--param k=v] [--wait] [--json]`
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { parseKeyValues } from '../../../runbooks/index.ts';
import { statusQuery, type RunStatus } from '../../../workflows/runbook/index.ts';
import { catalogue } from '../../catalogue.ts';
import { loadConfig } from '../../config.ts';
import { compileRunbook, startRun } from '../../runs.ts';
import { connectClient } from '../../temporal.ts';
import { parse, printJson, UsageError, type Command, type Io } from '../command.ts';
import { describeChanges, summarise } from '../progress.ts';

export const runCommand: Command = {
  summary: 'start a runbook run (and follow it with --wait)',
  usage: 'usage: nightshift run <runbook> [--param key=value ...] [--id <run-id>] [--wait] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      param: { type: 'string', multiple: true, default: [] },
      id: { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const [name] = positionals;
    if (!name || positionals.length > 1) throw new UsageError('expected exactly one runbook name or file');
    const pairs = parseKeyValues(values.param);
    if (pairs.problems.length) throw new UsageError(`bad --param: ${pairs.problems.join('; ')}`);
    const config = loadConfig();
    const runbook = compileRunbook(name, catalogue());
    const client = await connectClient(config);
    try {
      const handle = await startRun(client, config, {
        runbook,
        params: pairs.values,
        requestedBy: { id: process.env.USER ?? 'cli', via: 'cli' },
        ...(values.id ? { workflowId: values.id } : {}),
      });
      if (!values.wait) {
        if (values.json) printJson(io, { runId: handle.workflowId, runbook: runbook.name });
        else io.out(`started ${handle.workflowId} (nightshift status ${handle.workflowId})`);
        return 0;
      }
      if (!values.json) io.out(`started ${handle.workflowId}`);
      const status = await follow(client, handle.workflowId, values.json ? undefined : io);
      if (values.json) printJson(io, { runId: handle.workflowId, ...status });
      else for (const line of summarise(status)) io.out(line);
      return status.state === 'completed' ? 0 : 1;
    } finally {
      await client.connection.close();
    }
  },
};

/** Poll the status query until the run ends, printing changes as they happen. */
export async function follow(client: Client, runId: string, io?: Io, intervalMs = 300): Promise<RunStatus> {
  const handle = client.workflow.getHandle(runId);
  let last: RunStatus | undefined;
  const result = handle.result().then(
    (status: RunStatus) => ({ status }),
    (err: unknown) => ({ err }),
  );
  let done: { status?: RunStatus; err?: unknown } | undefined;
  result.then((r) => (done = r)).catch(() => undefined);
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && io) for (const line of describeChanges(last, status)) io.out(line);
    if (status) last = status;
    if (done) break;
    await sleep(intervalMs);
  }
  if (done.status) {
    if (io) for (const line of describeChanges(last, done.status)) io.out(line);
    return done.status;
  }
  // A failed run still answers its status query with what happened.
  const final = await handle.query(statusQuery).catch(() => last);
  if (final) {
    if (io) for (const line of describeChanges(last, final)) io.out(line);
    return final;
  }
  throw done.err instanceof WorkflowFailedError ? new Error(done.err.cause?.message ?? done.err.message) : done.err;
}
