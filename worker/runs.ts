// Starting and following runbook runs from outside Temporal (CLI, gateway,
// alert handler): validation and parameter problems stop here, so no invalid
// runbook ever reaches a workflow.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { formatProblem, idSchema, resolveParams, type Catalogue, type CompiledRunbook } from '../runbooks/index.ts';
import { findRunbook, loadRunbookFile, RUNBOOK_DIR } from '../runbooks/loader.ts';
import type { runbookWorkflow, RunbookInput } from '../workflows/index.ts';
import type { Actor } from '../model/index.ts';
import type { Config } from './config.ts';

export class RunRequestError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[]) {
    super(`${message}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RunRequestError';
    this.problems = problems;
  }
}

/** Find, validate and compile a runbook by name or path. */
export function compileRunbook(nameOrPath: string, catalogue: Catalogue): CompiledRunbook {
  const file = findRunbook(nameOrPath);
  if (!file)
    throw new RunRequestError(`runbook "${nameOrPath}" not found`, [
      `no file ${nameOrPath} and no runbooks/${nameOrPath}.yaml`,
    ]);
  const result = loadRunbookFile(file, catalogue);
  if (!result.ok) throw new RunRequestError(`runbook ${file} is invalid`, result.problems.map(formatProblem));
  return result.runbook;
}

/** Runbooks are small YAML files; a bigger one is not one. */
const MAX_RUNBOOK_BYTES = 512 * 1024;

/**
 * A runbook by name only, from the runbooks/ folder (`<name>.yaml` or
 * `.yml`, a regular file): never a path. What the gateway and the alert path
 * use, so a word from Slack or an alert cannot make them read another file.
 */
export function compileRunbookByName(name: string, catalogue: Catalogue, dir: string = RUNBOOK_DIR): CompiledRunbook {
  if (!idSchema.safeParse(name).success)
    throw new RunRequestError(`"${name.slice(0, 80)}" is not a runbook name`, [
      'a runbook name is lowercase letters, digits and dashes (a file in runbooks/)',
    ]);
  const file = [`${name}.yaml`, `${name}.yml`]
    .map((f) => join(dir, f))
    .find((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
  if (!file) throw new RunRequestError(`runbook "${name}" not found`, [`no runbooks/${name}.yaml`]);
  if ((statSync(file).size ?? 0) > MAX_RUNBOOK_BYTES)
    throw new RunRequestError(`runbook "${name}" not found`, [`runbooks/${name}.yaml is not a runbook file`]);
  const result = loadRunbookFile(file, catalogue);
  if (!result.ok) throw new RunRequestError(`runbook ${name} is invalid`, result.problems.map(formatProblem));
  return result.runbook;
}

export interface StartRunRequest {
  runbook: CompiledRunbook;
  params: Record<string, string | number | boolean>;
  requestedBy: Actor;
  workflowId?: string;
  /** REJECT_DUPLICATE makes a retried request (Slack retry, alert repeat) never start a second run. */
  workflowIdReusePolicy?: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'REJECT_DUPLICATE';
  notify?: { channel: string };
  trigger?: RunbookInput['trigger'];
}

export function newRunId(runbook: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${runbook}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function buildRunInput(request: StartRunRequest, config: Config): RunbookInput {
  const params = resolveParams(request.runbook.parameters, request.params);
  if (!params.ok) throw new RunRequestError(`parameters for ${request.runbook.name} are invalid`, params.problems);
  return {
    runbook: request.runbook,
    params: params.params,
    requestedBy: request.requestedBy,
    productionNamespaces: config.access.productionNamespaces,
    ...(request.notify ? { notify: request.notify } : {}),
    ...(request.trigger ? { trigger: request.trigger } : {}),
  };
}

export async function startRun(
  client: Client,
  config: Config,
  request: StartRunRequest,
): Promise<WorkflowHandle<typeof runbookWorkflow>> {
  const input = buildRunInput(request, config);
  return client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: request.workflowId ?? newRunId(request.runbook.name),
    ...(request.workflowIdReusePolicy ? { workflowIdReusePolicy: request.workflowIdReusePolicy } : {}),
    args: [input],
    memo: { runbook: request.runbook.name, requestedBy: request.requestedBy.id },
  });
}
