// Validation of runbook documents: every problem at once, each with its path
// in the document (and its line when the input was YAML), then compilation
// into the form the workflow runs.
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { defaultCatalogue, type Catalogue, type CatalogueEntry } from './catalogue.ts';
import type { ActionRef, ActivityRef, CompiledRunbook, CompiledStep } from './compiled.ts';
import { DENY } from './compiled.ts';
import { parseDuration } from './duration.ts';
import { conditionPaths, splitPath, templateReferences } from './expressions.ts';
import { formatPath, type IssuePath } from './issues.ts';
import {
  parameterSchema,
  runbookSchema,
  stepSchema,
  type Condition,
  type Parameter,
  type RunbookDocument,
  type Step,
  type Value,
} from './schema.ts';

export interface Problem {
  path: string;
  message: string;
  line?: number;
}

export type ValidationResult =
  | { ok: true; runbook: CompiledRunbook; document: RunbookDocument }
  | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  catalogue?: Catalogue;
}

export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${problem.path}: ${problem.message}${where}`;
}

/** YAML text parsed, with a way to put line numbers on problems found later. */
export type ParsedYaml =
  | { ok: true; value: unknown; locate: (problems: Problem[]) => Problem[] }
  | { ok: false; problems: Problem[] };

export function parseYamlWithLines(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((err) => ({
        path: '(document)',
        message: `YAML ${err.message.split('\n')[0] ?? 'error'}`,
        line: err.linePos?.[0]?.line,
      })),
    };
  }
  return {
    ok: true,
    value: doc.toJS(),
    locate: (problems) =>
      problems.map((p) => withLine(p, doc, lineCounter)).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}

/** Validate YAML (or JSON) text. */
export function validateRunbookText(text: string, options: ValidateOptions = {}): ValidationResult {
  const parsed = parseYamlWithLines(text);
  if (!parsed.ok) return parsed;
  const result = validateRunbook(parsed.value, options);
  return result.ok ? result : { ok: false, problems: parsed.locate(result.problems) };
}

/** Validate an already-parsed document. */
export function validateRunbook(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const catalogue = options.catalogue ?? defaultCatalogue;
  const problems = new Problems(input);
  const top = runbookSchema.safeParse(input);
  if (!top.success) problems.addIssues([], top.error.issues);

  const rawSteps = stepsOf(input);
  const steps: (Step | undefined)[] = rawSteps.map((raw, index) => {
    const parsed = stepSchema.safeParse(raw);
    if (!parsed.success) {
      problems.addIssues(['steps', index], parsed.error.issues);
      return undefined;
    }
    return parsed.data;
  });

  const parameters = top.success ? top.data.parameters : parametersOf(input);
  checkParameters(parameters, problems);
  checkSteps(rawSteps, steps, parameters, catalogue, problems);

  if (!top.success || problems.list.length > 0) return { ok: false, problems: problems.list };
  const document: RunbookDocument = { ...top.data, steps: steps as Step[] };
  return { ok: true, runbook: compile(document, catalogue), document };
}

class Problems {
  readonly list: Problem[] = [];
  private readonly input: unknown;

  constructor(input: unknown) {
    this.input = input;
  }

  add(path: IssuePath, message: string): void {
    this.list.push({ path: formatPath(path), message });
  }

  addIssues(prefix: IssuePath, issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add([...path, key], 'unknown field');
      } else if (lookupPath(this.input, path) === undefined && issue.code !== 'custom') {
        this.add(path, 'required field is missing');
      } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && !isDiscriminatorIssue(issue)) {
        // Report the alternative that came closest, not "matches none of them".
        const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
        if (closest.length > 0 && closest.every((inner) => inner.code !== 'unrecognized_keys')) {
          this.addIssues(path, closest);
        } else {
          this.add(path, issue.message);
        }
      } else if (issue.code === 'invalid_union' && issue.path.length === 0 && prefix.length === 2) {
        // A step whose kind is missing or unknown.
        this.add([...path, 'kind'], issue.message);
      } else {
        this.add(path, issue.message);
      }
    }
  }
}

function isDiscriminatorIssue(issue: z.core.$ZodIssueInvalidUnion): boolean {
  return issue.discriminator !== undefined;
}

function lookupPath(input: unknown, path: IssuePath): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Parameters that are valid on their own, when the document as a whole is not. */
function parametersOf(input: unknown): Record<string, Parameter> {
  const raw = lookupPath(input, ['parameters']);
  if (raw === null || typeof raw !== 'object') return {};
  const out: Record<string, Parameter> = {};
  for (const [name, value] of Object.entries(raw)) {
    const parsed = parameterSchema.safeParse(value);
    if (parsed.success) out[name] = parsed.data;
  }
  return out;
}

function stepsOf(input: unknown): unknown[] {
  if (input === null || typeof input !== 'object') return [];
  const steps = (input as { steps?: unknown }).steps;
  return Array.isArray(steps) ? steps : [];
}

function rawId(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

function checkParameters(parameters: Record<string, Parameter>, problems: Problems): void {
  for (const [name, param] of Object.entries(parameters)) {
    if (param.default === undefined) continue;
    const problem = checkParamValue(param, param.default);
    if (problem) problems.add(['parameters', name, 'default'], problem);
  }
}

/** Why a value does not fit a parameter, or undefined when it does. */
export function checkParamValue(param: Pick<Parameter, 'type' | 'enum'>, value: unknown): string | undefined {
  const fits: Record<Parameter['type'], (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    integer: (v) => typeof v === 'number' && Number.isInteger(v),
    boolean: (v) => typeof v === 'boolean',
    duration: (v) => typeof v === 'string' && parseDuration(v) !== undefined,
  };
  if (!fits[param.type](value)) {
    return param.type === 'duration' ? 'expected a duration like "30s"' : `expected a ${param.type}`;
  }
  if (param.enum && !param.enum.includes(value as string | number)) {
    return `expected one of ${param.enum.join(', ')}`;
  }
  return undefined;
}

interface StepInfo {
  kind: string;
  index: number;
}

function checkSteps(
  rawSteps: unknown[],
  steps: (Step | undefined)[],
  parameters: Record<string, Parameter>,
  catalogue: Catalogue,
  problems: Problems,
): void {
  const seen = new Map<string, StepInfo>();
  rawSteps.forEach((raw, index) => {
    const id = rawId(raw);
    const step = steps[index];
    if (step) checkStep(step, index, seen, parameters, catalogue, problems);
    if (id === undefined) return;
    if (seen.has(id)) {
      problems.add(['steps', index, 'id'], `duplicate step id "${id}" (first used at steps[${seen.get(id)?.index}])`);
    } else {
      const kind = raw !== null && typeof raw === 'object' ? String((raw as { kind?: unknown }).kind) : '';
      seen.set(id, { kind, index });
    }
  });
}

function checkStep(
  step: Step,
  index: number,
  earlier: Map<string, StepInfo>,
  parameters: Record<string, Parameter>,
  catalogue: Catalogue,
  problems: Problems,
): void {
  const at = (...rest: (string | number)[]): IssuePath => ['steps', index, ...rest];
  const refersTo = (path: IssuePath, ref: string, extraRoots: string[] = []): void => {
    const problem = checkReference(ref, earlier, parameters, extraRoots);
    if (problem) problems.add(path, problem);
  };
  const stepOfKind = (path: IssuePath, id: string, kind: string): void => {
    const info = earlier.get(id);
    if (!info) problems.add(path, `refers to step "${id}", which is not an earlier step`);
    else if (info.kind !== kind) problems.add(path, `refers to step "${id}", which is a ${info.kind} step, not ${kind}`);
  };
  const known = (path: IssuePath, table: Record<string, CatalogueEntry>, name: string, what: string): void => {
    if (!Object.prototype.hasOwnProperty.call(table, name)) {
      const names = Object.keys(table);
      problems.add(path, `unknown ${what} "${name}"${names.length ? ` (known: ${names.join(', ')})` : ` (none are installed)`}`);
    }
  };
  const templatesIn = (path: IssuePath, value: Value | Record<string, Value>, roots: string[] = []): void => {
    for (const ref of templateReferences(value)) refersTo(path, ref, roots);
  };

  if (step.when) for (const ref of conditionPaths(step.when)) refersTo(at('when'), ref);

  const checks: { [K in Step['kind']]: (s: Extract<Step, { kind: K }>) => void } = {
    gather: (s) => {
      const keys = new Set<string>();
      s.collectors.forEach((c, i) => {
        known(at('collectors', i, 'collector'), catalogue.collectors, c.collector, 'collector');
        templatesIn(at('collectors', i, 'params'), c.params);
        const key = c.id ?? c.collector;
        if (keys.has(key)) problems.add(at('collectors', i, 'id'), `duplicate collector key "${key}" in this step`);
        keys.add(key);
      });
    },
    diagnose: (s) => s.from?.forEach((id, i) => stepOfKind(at('from', i), id, 'gather')),
    decide: (s) => {
      const ids = new Set(s.options.map((o) => o.id));
      if (s.options.length === 0 && !s.optionsFrom) {
        problems.add(at('options'), 'a decide step needs "options" or "optionsFrom"');
      }
      s.options.forEach((o, i) => {
        if (o.action) known(at('options', i, 'action'), catalogue.actions, o.action, 'action');
        if (o.id === DENY) problems.add(at('options', i, 'id'), `"${DENY}" is reserved for declining every option`);
        templatesIn(at('options', i, 'params'), o.params);
      });
      if (s.optionsFrom) stepOfKind(at('optionsFrom', 'step'), s.optionsFrom.step, 'diagnose');
      if (s.default !== DENY && !ids.has(s.default)) {
        problems.add(at('default'), `default option "${s.default}" is not one of the options (${[...ids, DENY].join(', ')})`);
      }
    },
    act: (s) => {
      if (s.action) known(at('action'), catalogue.actions, s.action, 'action');
      if (s.fromDecision) stepOfKind(at('fromDecision'), s.fromDecision, 'decide');
      templatesIn(at('params'), s.params);
    },
    verify: (s) => {
      known(at('probe'), catalogue.probes, s.probe, 'probe');
      templatesIn(at('params'), s.params);
      for (const ref of conditionPaths(s.condition)) refersTo(at('condition'), ref, ['result']);
    },
    notify: (s) => templatesIn(at('message'), s.message),
  };
  (checks[step.kind] as (s: Step) => void)(step);
}

const ROOTS = ['params', 'steps', 'run'];

function checkReference(
  ref: string,
  earlier: Map<string, StepInfo>,
  parameters: Record<string, Parameter>,
  extraRoots: string[],
): string | undefined {
  const [root, name] = splitPath(ref);
  if (typeof root !== 'string' || ![...ROOTS, ...extraRoots].includes(root)) {
    return `"${ref}" must start with one of ${[...ROOTS, ...extraRoots].join(', ')}`;
  }
  if (root === 'params' && (typeof name !== 'string' || !Object.hasOwn(parameters, name))) {
    return `"${ref}" refers to an undeclared parameter`;
  }
  if (root === 'steps' && (typeof name !== 'string' || !earlier.has(name))) {
    return `"${ref}" refers to step "${String(name)}", which is not an earlier step`;
  }
  return undefined;
}

function entryRef(name: string, entry: CatalogueEntry): ActivityRef {
  return { name, activity: entry.activity, queue: entry.queue ?? 'control' };
}

function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

function compile(document: RunbookDocument, catalogue: Catalogue): CompiledRunbook {
  const actions: Record<string, ActionRef> = {};
  for (const [name, entry] of Object.entries(catalogue.actions)) {
    actions[name] = { ...entryRef(name, entry), destructive: entry.destructive, ...(entry.undo ? { undo: entry.undo } : {}) };
  }
  const gatherIds = document.steps.filter((s) => s.kind === 'gather').map((s) => s.id);
  const compileStep: { [K in Step['kind']]: (s: Extract<Step, { kind: K }>, index: number) => CompiledStep } = {
    gather: (s) => ({
      ...base(s),
      kind: 'gather',
      collectors: s.collectors.map((c) => ({
        ...entryRef(c.collector, catalogue.collectors[c.collector] as CatalogueEntry),
        key: c.id ?? c.collector,
        timeoutMs: ms(c.timeout),
        params: c.params,
      })),
    }),
    diagnose: (s, index) => ({
      ...base(s),
      kind: 'diagnose',
      from: s.from ?? gatherIds.filter((id) => document.steps.findIndex((x) => x.id === id) < index),
      activity: catalogue.builtins.diagnose,
      timeoutMs: ms(s.timeout),
    }),
    decide: (s) => ({
      ...base(s),
      kind: 'decide',
      question: s.question,
      options: s.options,
      ...(s.optionsFrom ? { optionsFrom: s.optionsFrom } : {}),
      deciders: s.deciders,
      timeoutMs: ms(s.timeout),
      default: s.default,
      secondPerson: s.secondPerson,
    }),
    act: (s) => ({
      ...base(s),
      kind: 'act',
      ...(s.action ? { action: actions[s.action] as ActionRef } : {}),
      ...(s.fromDecision ? { fromDecision: s.fromDecision } : {}),
      params: s.params,
      timeoutMs: ms(s.timeout),
      compensate: s.compensate,
      dryRun: s.dryRun,
    }),
    verify: (s) => ({
      ...base(s),
      kind: 'verify',
      probe: entryRef(s.probe, catalogue.probes[s.probe] as CatalogueEntry),
      params: s.params,
      condition: s.condition,
      deadlineMs: ms(s.deadline),
      intervalMs: ms(s.interval),
    }),
    notify: (s) => ({
      ...base(s),
      kind: 'notify',
      activity: catalogue.builtins.notify,
      message: s.message,
      ...(s.channel ? { channel: s.channel } : {}),
      attach: s.attach,
    }),
  };
  return {
    name: document.name,
    title: document.title ?? document.name,
    version: document.version,
    parameters: document.parameters,
    steps: document.steps.map((s, index) => (compileStep[s.kind] as (s: Step, i: number) => CompiledStep)(s, index)),
    actions,
  };
}

function base(step: { id: string; title?: string; when?: Condition }): { id: string; title: string; when?: Condition } {
  return { id: step.id, title: step.title ?? step.id, ...(step.when ? { when: step.when } : {}) };
}

function withLine(problem: Problem, doc: Document, lineCounter: LineCounter): Problem {
  const path = splitPath(problem.path.replace(/^\(document\)$/, ''));
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      return { ...problem, line: lineCounter.linePos(node.range[0]).line };
    }
  }
  return problem;
}
