// Parameters given to a run (CLI --param k=v, Slack k=v, alert labels) are
// strings; each is coerced to its declared type. Every problem in one list.
import type { CompiledParameter } from './compiled.ts';
import { parseDuration, type Value } from '../model/index.ts';
import type { Parameter } from './schema.ts';

export type ParamResult = { ok: true; params: Record<string, Value> } | { ok: false; problems: string[] };

const coerce: Record<CompiledParameter['type'], (text: string) => unknown> = {
  string: (text) => text,
  number: (text) => (text.trim() === '' ? Number.NaN : Number(text)),
  integer: (text) => (text.trim() === '' ? Number.NaN : Number(text)),
  boolean: (text) => ({ true: true, false: false, yes: true, no: false })[text.toLowerCase()] ?? text,
  duration: (text) => text,
};

export function resolveParams(
  declared: Record<string, CompiledParameter>,
  given: Record<string, string | number | boolean>,
): ParamResult {
  const problems: string[] = [];
  const params: Record<string, Value> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const names = Object.keys(declared);
      problems.push(
        `param ${name}: unknown parameter (this runbook takes ${names.length ? names.join(', ') : 'none'})`,
      );
    }
  }
  for (const [name, param] of Object.entries(declared)) {
    const raw = given[name];
    if (raw === undefined) {
      if (param.default !== undefined) params[name] = param.default;
      else if (param.required) problems.push(`param ${name}: required parameter is missing`);
      continue;
    }
    const value = typeof raw === 'string' ? coerce[param.type](raw) : raw;
    const problem = checkParamValue(param, value);
    if (problem) problems.push(`param ${name}: ${problem}, got ${JSON.stringify(raw)}`);
    else params[name] = value as Value;
  }
  return problems.length ? { ok: false, problems } : { ok: true, params };
}

/** Parse ["k=v", ...] into a map; malformed entries are problems. */
export function parseKeyValues(pairs: readonly string[]): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) problems.push(`"${pair}": expected key=value`);
    else values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { values, problems };
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
