// A problem in a document: its path (and its line, for YAML), and the list
// that turns zod issues into lines a person reads, every one at once.
import type { z } from 'zod';
import { formatPath, type IssuePath } from '../model/index.ts';

export interface Problem {
  path: string;
  message: string;
  line?: number;
}

export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${problem.path}: ${problem.message}${where}`;
}

export class Problems {
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

export function lookupPath(input: unknown, path: IssuePath): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
