// toFQDNs selectors against a DNS name, as Cilium matches them: names are
// compared lower case without the trailing dot; in a pattern `*` stands for
// any run of DNS label characters (it never crosses a dot), and a pattern of
// `*` alone matches every name.
import type { FqdnSelector } from './schema.ts';

const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');

function patternRegExp(pattern: string): RegExp {
  const body = normal(pattern)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[-a-z0-9_]*');
  return new RegExp(`^${body}$`);
}

export function fqdnMatches(selector: FqdnSelector, name: string): boolean {
  const n = normal(name);
  if (selector.matchName !== undefined) return normal(selector.matchName) === n;
  const pattern = selector.matchPattern ?? '';
  return normal(pattern) === '*' || patternRegExp(pattern).test(n);
}
