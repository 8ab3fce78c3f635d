// Label matchers as Alertmanager writes them: `name="value"`, `name!="value"`,
// `name=~"regex"`, `name!~"regex"`. Regexes are fully anchored, like Alertmanager's.
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  regex?: RegExp;
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

/** Parse one matcher; throws with the reason when it is not one. */
export function parseMatcher(text: string): Matcher {
  const match = MATCHER.exec(text);
  if (!match) throw new Error(`"${text}" is not a matcher like alertname="X" or namespace=~"prod.*"`);
  const [, name, op, quoted, bare] = match as unknown as [
    string,
    string,
    MatchOp,
    string | undefined,
    string | undefined,
  ];
  const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, regex: new RegExp(`^(?:${value})$`) };
    } catch (err) {
      throw new Error(`"${text}": bad regular expression: ${(err as Error).message}`, { cause: err });
    }
  }
  return { name, op, value };
}

export function matches(matcher: Matcher, labels: Record<string, string>): boolean {
  const actual = labels[matcher.name] ?? '';
  const tests: Record<MatchOp, () => boolean> = {
    '=': () => actual === matcher.value,
    '!=': () => actual !== matcher.value,
    '=~': () => matcher.regex?.test(actual) ?? false,
    '!~': () => !(matcher.regex?.test(actual) ?? false),
  };
  return tests[matcher.op]();
}

export function matchesAll(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matches(m, labels));
}
