// Splitting the command text into words: whitespace separates, quotes (also
// Slack's curly ones) group, so `reason="checkout is down"` is one word.
import { parseKeyValues } from '../../../runbooks/index.ts';
import { echo } from './echo.ts';
import { UsageProblem } from './types.ts';

const WORD = /([^\s"“”']*)(?:["“”]([^"“”]*)["“”]|'([^']*)')|(\S+)/g;

export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.trim().matchAll(WORD)) {
    out.push(m[4] ?? `${m[1] ?? ''}${m[2] ?? m[3] ?? ''}`);
  }
  return out;
}

/** `k=v` arguments as a map; a word that is not one is a usage problem. */
export function keyValues(args: string[]): Record<string, string> {
  const { values, problems } = parseKeyValues(args);
  if (problems.length) throw new UsageProblem(`bad argument ${echo(problems.join('; '), 300)}`);
  return values;
}
