// `nightshift report <run-id>`: the incident report as Markdown and HTML.
import { join } from 'node:path';
import { loadConfig, connectClient, faultWindows } from '../../worker/index.ts';
import { assembleReport, renderMarkdown, writeReport } from '../../activities/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import { parse, printJson, UsageError, type Command } from '../command.ts';

export const reportCommand: Command = {
  summary: "write a run's incident report (Markdown + self-contained HTML with a timeline chart)",
  usage:
    'usage: nightshift report <run-id> [--out <dir>] [--probe-url <url> (default $NIGHTSHIFT_PROBE_URL)] [--stdout] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      out: { type: 'string' },
      'probe-url': { type: 'string' },
      stdout: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const [runId] = positionals;
    if (!runId || positionals.length > 1) throw new UsageError('expected exactly one run id');
    const config = loadConfig();
    const client = await connectClient(config);
    try {
      const probeUrl = values['probe-url'] ?? process.env.NIGHTSHIFT_PROBE_URL;
      const status = await client.workflow.getHandle(runId).query(statusQuery);
      const input = await assembleReport(runId, status, {
        ...(probeUrl ? { probeUrl } : {}),
        faultWindows: faultWindows(client),
      });
      if (values.stdout) {
        io.out(renderMarkdown(input));
        return 0;
      }
      const files = writeReport(input, values.out ?? join(config.dataDir, 'reports'));
      if (values.json)
        printJson(io, { runId, ...files, probeSeconds: input.series.length, faults: input.faults.length });
      else io.out(`report for ${runId}:\n  ${files.markdown}\n  ${files.html}`);
      return 0;
    } finally {
      await client.connection.close();
    }
  },
};
