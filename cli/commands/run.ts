// `nightshift run <runbook> [--param k=v] [--wait] [--json]`
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { parseKeyValues } from '../../runbooks/index.ts';
import type { CollectorResult, Finding, RunStatus } from '../../model/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import { catalogue, cliIdentity, loadConfig, compileRunbook, startRun, connectClient } from '../../worker/index.ts';
import { localUser, parse, printJson, UsageError, type Command, type Io } from '../command.ts';
import { describeChanges, summarise } from '../progress.ts';

/** Who starts the run: the Slack user this CLI user is (access.cli), so four-eyes sees one person, not two. */
function actor(config: ReturnType<typeof loadConfig>) {
  const { id, name, via } = cliIdentity(config.access, localUser());
  return { id, name, via };
}

export const runCommand: Command = {
  summary: 'start a runbook run; print its evidence and diagnosis (--wait: follow it to the end)',
  usage: [
    'usage: nightshift run <runbook> [--param key=value ...] [--id <run-id>] [--wait | --detach] [--json]',
    '  default   follow the run until it has a diagnosis and waits for a decision (or ends)',
    '  --wait    follow it until it ends',
    '  --detach  print the run id and return at once',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      param: { type: 'string', multiple: true, default: [] },
      id: { type: 'string' },
      wait: { type: 'boolean', default: false },
      detach: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (values.wait && values.detach) throw new UsageError('--wait and --detach do not go together');
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
        requestedBy: actor(config),
        ...(values.id ? { workflowId: values.id } : {}),
      });
      if (values.detach) {
        if (values.json) printJson(io, { runId: handle.workflowId, runbook: runbook.name });
        else io.out(`started ${handle.workflowId} (nightshift status ${handle.workflowId})`);
        return 0;
      }
      if (!values.json) io.out(`started ${handle.workflowId}`);
      const until = values.wait ? undefined : (s: RunStatus) => s.pendingDecision !== undefined;
      const status = await follow(client, handle.workflowId, values.json ? undefined : io, 300, until);
      if (values.json) printJson(io, { runId: handle.workflowId, ...status, evidence: evidenceSummary(status) });
      else {
        for (const line of summarise(status)) io.out(line);
        if (status.pendingDecision)
          io.out(
            `the run waits for a decision: nightshift decide ${handle.workflowId} <option> (or nightshift status ${handle.workflowId})`,
          );
      }
      return ['completed', 'waiting'].includes(status.state) ? 0 : 1;
    } finally {
      await client.connection.close();
    }
  },
};

/** Every collector's outcome and every finding, worst first: what `--json` prints as `evidence`. */
export function evidenceSummary(status: RunStatus): {
  collectors: Record<string, { ok: boolean; durationMs: number; findings: number; error?: string }>;
  findings: Finding[];
} {
  const collectors: Record<string, { ok: boolean; durationMs: number; findings: number; error?: string }> = {};
  const findings: Finding[] = [];
  for (const step of status.steps) {
    if (step.kind !== 'gather' || step.status !== 'done') continue;
    const result = step.result as { collectors?: Record<string, CollectorResult> } | undefined;
    for (const [key, c] of Object.entries(result?.collectors ?? {})) {
      collectors[key] = {
        ok: c.ok,
        durationMs: c.durationMs,
        findings: c.findings.length,
        ...(c.error ? { error: c.error } : {}),
      };
      findings.push(...c.findings);
    }
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  return { collectors, findings: findings.sort((a, b) => rank[a.severity] - rank[b.severity]) };
}

/**
 * Poll the status query until the run ends (or `until` holds), printing
 * changes as they happen. Only queries: a pending long poll for the result
 * would keep the process alive after we are done.
 */
export async function follow(
  client: Client,
  runId: string,
  io?: Io,
  intervalMs = 300,
  until?: (s: RunStatus) => boolean,
): Promise<RunStatus> {
  const handle = client.workflow.getHandle(runId);
  let last: RunStatus | undefined;
  for (;;) {
    const status = await handle.query(statusQuery).catch(async (err: unknown) => {
      const { status: execution } = await handle.describe();
      // Still running (the worker may be restarting): keep polling. Closed without a status: say why.
      if (execution.name === 'RUNNING') return undefined;
      throw new Error(
        `run ${runId} is ${execution.name.toLowerCase()} and answers no status: ${(err as Error).message}`,
      );
    });
    if (status && io) for (const line of describeChanges(last, status)) io.out(line);
    if (status) last = status;
    if (status && (!['running', 'waiting'].includes(status.state) || until?.(status))) return status;
    await sleep(intervalMs);
  }
}
