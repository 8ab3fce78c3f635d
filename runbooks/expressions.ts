// Templates ("${params.namespace}") and conditions over a run's scope.
// Pure and deterministic: the workflow sandbox evaluates these.
import type { Condition } from './schema.ts';
import type { Value } from '../model/index.ts';

/** What templates and conditions can see: `params`, `steps.<id>`, `run`, and for verify `result`. */
export type Scope = Record<string, unknown>;

const TEMPLATE = /\$\{\s*([^}]+?)\s*\}/g;
const WHOLE_TEMPLATE = /^\$\{\s*([^}]+?)\s*\}$/;

/** Split "steps.gather.flows[0].count" into ["steps", "gather", "flows", 0, "count"]. */
export function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const piece of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(piece);
    if (!match) {
      parts.push(piece);
      continue;
    }
    if (match[1]) parts.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  return parts;
}

export function lookup(scope: Scope, path: string): unknown {
  let node: unknown = scope;
  for (const key of splitPath(path)) {
    if (node === null || node === undefined) return undefined;
    if (typeof key === 'number') {
      node = Array.isArray(node) ? node[key] : undefined;
    } else if (typeof node === 'object' && Object.prototype.hasOwnProperty.call(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return node;
}

/** Every `${...}` reference inside a value, for validation. */
export function templateReferences(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(TEMPLATE)].map((m) => m[1] as string);
  if (Array.isArray(value)) return value.flatMap(templateReferences);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(templateReferences);
  return [];
}

/**
 * Substitute templates. A string that is one whole template keeps the
 * referenced value's type ("${params.count}" stays a number); templates inside
 * longer strings are stringified. Missing references render as "".
 */
export function render(value: Value, scope: Scope): Value {
  if (typeof value === 'string') {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole) return toValue(lookup(scope, whole[1] as string));
    return value.replace(TEMPLATE, (_, path: string) => stringify(lookup(scope, path)));
  }
  if (Array.isArray(value)) return value.map((item) => render(item, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Value> = {};
    for (const [key, item] of Object.entries(value)) out[key] = render(item, scope);
    return out;
  }
  return value;
}

export function renderParams(params: Record<string, Value>, scope: Scope): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [key, item] of Object.entries(params)) out[key] = render(item, scope);
  return out;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function toValue(value: unknown): Value {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as Value;
}

const compare: Record<string, (actual: unknown, expected: unknown) => boolean> = {
  eq: (a, b) => equal(a, b),
  ne: (a, b) => !equal(a, b),
  gt: (a, b) => typeof a === 'number' && typeof b === 'number' && a > b,
  gte: (a, b) => typeof a === 'number' && typeof b === 'number' && a >= b,
  lt: (a, b) => typeof a === 'number' && typeof b === 'number' && a < b,
  lte: (a, b) => typeof a === 'number' && typeof b === 'number' && a <= b,
  in: (a, b) => Array.isArray(b) && b.some((item) => equal(a, item)),
  contains: (a, b) =>
    (Array.isArray(a) && a.some((item) => equal(item, b))) ||
    (typeof a === 'string' && typeof b === 'string' && a.includes(b)),
  exists: (a) => a !== undefined && a !== null,
  missing: (a) => a === undefined || a === null,
};

/** Evaluate a condition; comparisons against missing values are false (except `missing`). */
export function evaluate(condition: Condition, scope: Scope): boolean {
  if ('all' in condition) return condition.all.every((inner) => evaluate(inner, scope));
  if ('any' in condition) return condition.any.some((inner) => evaluate(inner, scope));
  if ('not' in condition) return !evaluate(condition.not, scope);
  const actual = lookup(scope, condition.path);
  const test = compare[condition.op];
  return test ? test(actual, condition.value === undefined ? undefined : render(condition.value, scope)) : false;
}

/** Every path a condition reads, for validation. */
export function conditionPaths(condition: Condition): string[] {
  if ('all' in condition) return condition.all.flatMap(conditionPaths);
  if ('any' in condition) return condition.any.flatMap(conditionPaths);
  if ('not' in condition) return conditionPaths(condition.not);
  return [condition.path, ...templateReferences(condition.value ?? null)];
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'number') return a === String(b);
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}
