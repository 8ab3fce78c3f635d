// `nightshift runbook validate <file>`: every problem at once, exit 1.
import { existsSync } from 'node:fs';
import { formatProblem } from '../../runbooks/index.ts';
import { loadRunbookFile } from '../../runbooks/loader.ts';
import { catalogue } from '../../worker/index.ts';
import { group, jsonFlag, parse, printJson, UsageError, type Command } from '../command.ts';

const validate: Command = {
  summary: 'check a runbook file and report every problem with its path',
  usage: 'usage: nightshift runbook validate <file> [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, jsonFlag);
    const [file] = positionals;
    if (!file || positionals.length > 1) throw new UsageError('expected exactly one runbook file');
    if (!existsSync(file)) {
      io.err(`${file}: no such file`);
      return 1;
    }
    const result = loadRunbookFile(file, catalogue());
    if (values.json) {
      printJson(
        io,
        result.ok ? { ok: true, file, runbook: result.runbook } : { ok: false, file, problems: result.problems },
      );
      return result.ok ? 0 : 1;
    }
    if (!result.ok) {
      io.err(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
      for (const problem of result.problems) io.err(`  ${formatProblem(problem)}`);
      return 1;
    }
    const { runbook } = result;
    const kinds = runbook.steps.map((s) => s.kind).join(' → ');
    const params = Object.keys(runbook.parameters);
    io.out(
      `${file}: ok — runbook "${runbook.name}" v${runbook.version}, ${runbook.steps.length} steps (${kinds}), ` +
        `parameters: ${params.length ? params.join(', ') : 'none'}`,
    );
    return 0;
  },
};

export const runbookCommand = group('work with runbook files', { validate }, 'runbook');
