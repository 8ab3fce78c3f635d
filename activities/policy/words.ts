// An explanation as a person reads it at 3 AM: the verdict first, then each
// direction, then what was not evaluated.
import type { Explanation } from './types.ts';

export function explanationInWords(e: Explanation, verbose = false): string[] {
  const lines = [e.summary, '', `  egress:  ${e.egress.sentence}`, `  ingress: ${e.ingress.sentence}`];
  if (verbose) {
    for (const d of [e.egress, e.ingress]) {
      for (const c of d.considered) lines.push(`    ${d.direction} ${c.matched ? '✓' : '✗'} ${c.rule}: ${c.why}`);
    }
  }
  for (const note of e.notes) lines.push('', `  note: ${note}`);
  if (e.caveats.length) {
    lines.push('', '  not evaluated in the policies that select these endpoints (the answer may differ):');
    for (const c of e.caveats) lines.push(`    - ${c.policy} ${c.path}: ${c.note}`);
  }
  const others = e.unsupported.filter((u) => !e.caveats.includes(u));
  if (others.length) {
    lines.push('', '  not evaluated elsewhere:');
    for (const u of others) lines.push(`    - ${u.policy}${u.path ? ` ${u.path}` : ''}: ${u.note}`);
  }
  return lines;
}
