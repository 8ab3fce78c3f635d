// Validation of runbook documents: every problem at once, each with its path
// in the document, then compilation (compile.ts) into the form the workflow
// runs. Pure: YAML text comes in through yaml.ts.
import { defaultCatalogue, type Catalogue, type CatalogueEntry } from './catalogue.ts';
import { compile } from './compile.ts';
import type { CompiledRunbook } from './compiled.ts';
import { DENY } from './compiled.ts';
import { conditionPaths, splitPath, templateReferences } from './expressions.ts';
import type { IssuePath, Value } from '../model/index.ts';
import { checkParamValue } from './params.ts';
import { lookupPath, Problems, type Problem } from './problems.ts';
import {
  parameterSchema,
  runbookSchema,
  stepSchema,
  type Parameter,
  type RunbookDocument,
  type Step,
} from './schema.ts';

export type ValidationResult =
  { ok: true; runbook: CompiledRunbook; document: RunbookDocument } | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  catalogue?: Catalogue;
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
    else if (info.kind !== kind)
      problems.add(path, `refers to step "${id}", which is a ${info.kind} step, not ${kind}`);
  };
  const known = (path: IssuePath, table: Record<string, CatalogueEntry>, name: string, what: string): void => {
    if (!Object.prototype.hasOwnProperty.call(table, name)) {
      const names = Object.keys(table);
      problems.add(
        path,
        `unknown ${what} "${name}"${names.length ? ` (known: ${names.join(', ')})` : ` (none are installed)`}`,
      );
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
        problems.add(
          at('default'),
          `default option "${s.default}" is not one of the options (${[...ids, DENY].join(', ')})`,
        );
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
