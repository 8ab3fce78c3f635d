// `nightshift report <run-id>`: the incident report as Markdown and HTML.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labPaths } from '../../../lab/paths.ts';
import { PROBE_URL } from '../../../lab/topology.ts';
import { loadConfig } from '../../config.ts';
import { gatherReport, renderMarkdown, writeReport } from '../../reports/index.ts';
import { connectClient } from '../../temporal.ts';
import { parse, printJson, UsageError, type Command } from '../command.ts';

export const reportCommand: Command = {
  summary: 'write a run\'s incident report (Markdown + self-contained HTML with a timeline chart)',
  usage: 'usage: nightshift report <run-id> [--out <dir>] [--probe-url <url>] [--stdout] [--json]',
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
      // The lab's probe when the lab runs here and nothing else was named.
      const labProbe = existsSync(labPaths(resolve(config.dataDir)).state) ? PROBE_URL : undefined;
      const probeUrl = values['probe-url'] ?? process.env.NIGHTSHIFT_PROBE_URL ?? labProbe;
      const input = await gatherReport(client, runId, probeUrl ? { probeUrl } : {});
      if (values.stdout) {
        io.out(renderMarkdown(input));
        return 0;
      }
      const files = writeReport(input, values.out ?? join(config.dataDir, 'reports'));
      if (values.json) printJson(io, { runId, ...files, probeSeconds: input.series.length, faults: input.faults.length });
      else io.out(`report for ${runId}:\n  ${files.markdown}\n  ${files.html}`);
      return 0;
    } finally {
      await client.connection.close();
    }
  },
};
