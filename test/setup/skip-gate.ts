// A jest reporter: every skipped test must say why in its name ("(skipped:
// <reason>)", on the test or on a describe around it), and the run ends with
// the list of what was skipped and why. With NIGHTSHIFT_SKIP_GATE=1 (set by
// .ci/run) the run fails when a test skips without a reason, or for a reason
// that names none of the kernel features this machine lacks (.ci/skip-allow):
// a server that failed to build, a missing helper or a missing privilege is
// a failure there, never a quiet skip.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Assertion {
  title: string;
  ancestorTitles: string[];
  status: string;
}
interface FileResult {
  testFilePath: string;
  testResults: Assertion[];
}
interface Aggregated {
  testResults: FileResult[];
}

const SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled']);
const REASON = /\(skipped: ([^)]+)\)/;

/** Feature names from the allow-list file: one a line, "#" starts a comment. */
export function readAllowList(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export interface Skip {
  file: string;
  name: string;
  reason?: string;
  /** The allow-listed feature the reason names. */
  feature?: string;
}

export function skipsOf(results: Aggregated, rootDir: string, allowed: string[]): Skip[] {
  return results.testResults.flatMap((file) =>
    file.testResults
      .filter((t) => SKIPPED.has(t.status))
      .map((t) => {
        const names = [...t.ancestorTitles, t.title];
        const reason = names.map((n) => REASON.exec(n)?.[1]).find((r) => r !== undefined);
        const feature = reason ? allowed.find((f) => new RegExp(`\\b${f}\\b`).test(reason)) : undefined;
        return {
          file: file.testFilePath.replace(`${rootDir}/`, ''),
          name: names.join(' › '),
          ...(reason ? { reason } : {}),
          ...(feature ? { feature } : {}),
        };
      }),
  );
}

export default class SkipGate {
  private readonly rootDir: string;
  private error: Error | undefined;

  constructor(globalConfig: { rootDir: string }) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts: unknown, results: Aggregated): void {
    const allowFile = join(this.rootDir, '.ci', 'skip-allow');
    const allowed = readAllowList(allowFile);
    const skips = skipsOf(results, this.rootDir, allowed);
    const gate = process.env.NIGHTSHIFT_SKIP_GATE === '1';
    const refused = skips.filter((s) => !s.feature);
    const lines = [
      `skip gate${gate ? '' : ' (report only; NIGHTSHIFT_SKIP_GATE=1 enforces it)'}: ${skips.length} skipped`,
    ];
    for (const s of skips) {
      lines.push(`  ${s.feature ? 'allowed' : 'NOT ALLOWED'}  ${s.file}: ${s.name}`);
      lines.push(`             ${s.reason ? `reason: ${s.reason}` : 'no reason given'}`);
    }
    if (allowed.length) lines.push(`  this machine lacks (${allowFile}): ${allowed.join(', ')}`);
    process.stderr.write(`\n${lines.join('\n')}\n`);
    if (gate && refused.length > 0) {
      this.error = new Error(
        `skip gate: ${refused.length} test(s) skipped that this machine should run (no reason, or a reason naming ` +
          `none of ${allowed.join(', ') || 'the allowed features'}):\n${refused.map((s) => `  ${s.file}: ${s.name}`).join('\n')}`,
      );
      process.stderr.write(`${this.error.message}\n`);
    }
  }

  getLastError(): Error | undefined {
    return this.error;
  }
}
