// Runbooks and experiments as YAML text: parsed with line numbers, so every
// problem found later names its line. Node side only (the CLI, the gateway,
// the worker's loaders); workflows never parse text.
import { LineCounter, parseDocument, type Document } from 'yaml';
import { splitPath } from './expressions.ts';
import type { Problem } from './problems.ts';
import { validateRunbook, type ValidateOptions, type ValidationResult } from './validate.ts';

/** YAML text parsed, with a way to put line numbers on problems found later. */
export type ParsedYaml =
  { ok: true; value: unknown; locate: (problems: Problem[]) => Problem[] } | { ok: false; problems: Problem[] };

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
  // An alias whose anchor is not set, or too many aliases, parse cleanly but fail here: a problem, not a throw.
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    return { ok: false, problems: [{ path: '(document)', message: `YAML ${(err as Error).message.split('\n')[0]}` }] };
  }
  return {
    ok: true,
    value,
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
