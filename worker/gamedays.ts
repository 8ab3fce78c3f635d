// Game days from outside Temporal (CLI, Slack, schedules): load and validate
// an experiment file into the game-day workflow's input, start it, and manage
// its Temporal Schedules.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { formatProblem, type Catalogue, type Problem } from '../runbooks/index.ts';
import { RUNBOOK_DIR, parseYamlWithLines } from '../runbooks/loader.ts';
import { faultLimits, validateFault } from '../workflows/index.ts';
import { experimentSchema, ms, type GamedayInput } from '../workflows/index.ts';
import type { Config } from './config.ts';
import { compileRunbook, RunRequestError } from './runs.ts';

export const EXPERIMENT_DIR = join(RUNBOOK_DIR, 'experiments');

/** Hypothesis ids a game day may expect (docs/scenario.md). */
export const KNOWN_HYPOTHESES = [
  'pod-to-pod-drop',
  'policy-denies',
  'dns-loss',
  'dns-slow',
  'node-network-loss',
  'etcd-unhealthy',
  'canary-failing',
  'endpoints-empty',
  'service-latency',
  'no-fault-found',
];

export function findExperiment(nameOrPath: string): string | undefined {
  return [nameOrPath, join(EXPERIMENT_DIR, `${nameOrPath}.yaml`)].map((p) => resolve(p)).find((p) => existsSync(p));
}

/** What an experiment name looks like: the file name in runbooks/experiments/ without `.yaml`. */
export const EXPERIMENT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Experiments are small YAML files; a bigger one is not one. */
const MAX_EXPERIMENT_BYTES = 256 * 1024;

/**
 * An experiment by name only, from runbooks/experiments/: never a path, never
 * `..`, never a device or a directory. What the gateway uses, so a word typed
 * in Slack cannot make it read any other file.
 */
export function loadExperimentByName(
  name: string,
  config: Config,
  catalogue: Catalogue,
): Omit<GamedayInput, 'trigger'> {
  if (!EXPERIMENT_NAME.test(name))
    throw new RunRequestError(`"${name.slice(0, 80)}" is not an experiment name`, [
      'an experiment name is lowercase letters, digits and dashes (a file in runbooks/experiments/)',
    ]);
  const file = join(EXPERIMENT_DIR, `${name}.yaml`);
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > MAX_EXPERIMENT_BYTES)
    throw new RunRequestError(`experiment "${name}" not found`, [
      stat ? `runbooks/experiments/${name}.yaml is not an experiment file` : `no runbooks/experiments/${name}.yaml`,
    ]);
  const result = loadExperiment(readFileSync(file, 'utf8'), config, catalogue);
  if (!result.ok) throw new RunRequestError(`experiment ${name} is invalid`, result.problems.map(formatProblem));
  return result.input;
}

export type ExperimentResult = { ok: true; input: Omit<GamedayInput, 'trigger'> } | { ok: false; problems: Problem[] };

/**
 * Fields laid over an experiment before it is checked (a deployment's or a
 * test's settings: a shorter duration, looser thresholds, autoApprove).
 * Objects merge field by field; anything else, lists included, replaces.
 * The result is checked as a whole, so an override naming a field the
 * schema does not know is refused with its path, never silently ignored.
 */
export type ExperimentOverride = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function overlay(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = Object.hasOwn(base, key) ? overlay(base[key], value) : value;
  }
  return out;
}

export function loadExperiment(
  text: string,
  config: Config,
  catalogue: Catalogue,
  override?: ExperimentOverride,
): ExperimentResult {
  const parsed = parseYamlWithLines(text);
  if (!parsed.ok) return parsed;
  const doc = experimentSchema.safeParse(override ? overlay(parsed.value, override) : parsed.value);
  const problems: Problem[] = [];
  if (!doc.success) {
    for (const issue of doc.error.issues) {
      problems.push({
        path: issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join(''),
        message: issue.message,
      });
    }
    return { ok: false, problems: parsed.locate(problems) };
  }
  const e = doc.data;
  const limits = faultLimits(config.faults);
  const fault = validateFault(e.fault, limits, { catalogue });
  if (!fault.ok) {
    for (const line of fault.problems) {
      const at = line.indexOf(': ');
      problems.push({ path: `fault.${line.slice(0, at)}`, message: line.slice(at + 2) });
    }
  }
  const probe = (name: string, path: string) => {
    const entry = catalogue.probes[name];
    if (!entry)
      problems.push({
        path,
        message: `unknown probe "${name}" (known: ${Object.keys(catalogue.probes).join(', ') || 'none'})`,
      });
    return { name, activity: entry?.activity ?? '', queue: entry?.queue ?? ('control' as const) };
  };
  const steadyProbe = probe(e.steadyState.probe, 'steadyState.probe');
  const stopProbe = e.stopConditions ? probe(e.stopConditions.probe, 'stopConditions.probe') : undefined;
  if (!KNOWN_HYPOTHESES.includes(e.expect.hypothesis)) {
    problems.push({
      path: 'expect.hypothesis',
      message: `unknown hypothesis "${e.expect.hypothesis}" (known: ${KNOWN_HYPOTHESES.join(', ')})`,
    });
  }
  try {
    compileRunbook(e.expect.runbook, catalogue);
  } catch (err) {
    if (!(err instanceof RunRequestError)) throw err;
    problems.push({ path: 'expect.runbook', message: err.message.split('\n')[0] ?? err.message });
  }
  if (problems.length > 0 || !fault.ok) return { ok: false, problems: parsed.locate(problems) };
  return {
    ok: true,
    input: {
      experiment: { name: e.name, title: e.title ?? e.name },
      fault: { spec: fault.spec, limits, requestedBy: { id: 'gameday', via: 'gameday' } },
      steadyState: {
        probe: steadyProbe,
        params: e.steadyState.params,
        conditions: e.steadyState.conditions,
        settleMs: ms(e.steadyState.settle),
      },
      ...(e.stopConditions && stopProbe
        ? {
            stopConditions: {
              probe: stopProbe,
              params: e.stopConditions.params,
              conditions: e.stopConditions.conditions,
              everyMs: ms(e.stopConditions.every),
            },
          }
        : {}),
      expect: {
        runbook: e.expect.runbook,
        hypothesis: e.expect.hypothesis,
        withinMs: ms(e.expect.within),
        alert: e.expect.alert,
        autoApprove: e.expect.autoApprove,
      },
      ...((e.notify.channel ?? config.slack.channel) ? { channel: e.notify.channel ?? config.slack.channel } : {}),
      blackouts: e.blackouts,
    },
  };
}

export function loadExperimentFile(
  nameOrPath: string,
  config: Config,
  catalogue: Catalogue,
): Omit<GamedayInput, 'trigger'> {
  const file = findExperiment(nameOrPath);
  if (!file)
    throw new RunRequestError(`experiment "${nameOrPath}" not found`, [
      `no file ${nameOrPath} and no runbooks/experiments/${nameOrPath}.yaml`,
    ]);
  const result = loadExperiment(readFileSync(file, 'utf8'), config, catalogue);
  if (!result.ok) throw new RunRequestError(`experiment ${file} is invalid`, result.problems.map(formatProblem));
  return result.input;
}

export function gamedayId(name: string, now = new Date()): string {
  return `gameday-${name}-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

export async function startGameday(
  client: Client,
  config: Config,
  input: GamedayInput,
  workflowId = gamedayId(input.experiment.name),
) {
  return client.workflow.start('gamedayWorkflow', { taskQueue: config.temporal.taskQueue, workflowId, args: [input] });
}
