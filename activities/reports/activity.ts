// The run's closing step: write its report (Markdown, and HTML with the
// timeline chart) and attach both to its Slack thread. The runbook workflow
// calls it last, in a non-cancellable scope, however the run ended.
import { join, resolve } from 'node:path';
import type { RunStatus } from '../../model/index.ts';
import { assembleReport, type ReportSources } from './assemble.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { writeReport, type ReportFiles } from './write.ts';

/** A file for the run's thread (activities/slack publishReport). */
export type AttachReport = (file: {
  channel: string;
  key: string;
  startedAt: string;
  filename: string;
  title: string;
  content: string;
  comment?: string;
}) => Promise<{ uploaded: boolean; reason?: string }>;

export interface ReportDeps extends ReportSources {
  /** Where reports are written; `<data dir>/reports` by default. */
  dir?: string;
  attach?: AttachReport;
}

export interface CloseRunArgs {
  runId: string;
  status: RunStatus;
  /** The run's Slack channel; absent for runs nobody is told about. */
  channel?: string;
}

export interface CloseRunResult extends ReportFiles {
  /** What became of each attachment: "uploaded", "already in the thread", or why not. */
  attached: string[];
}

export function createReportActivities(deps: ReportDeps) {
  const dir = deps.dir ?? join(resolve(process.env.NIGHTSHIFT_DATA_DIR ?? '.nightshift'), 'reports');
  return {
    async writeRunReport({ runId, status, channel }: CloseRunArgs): Promise<CloseRunResult> {
      const input = await assembleReport(runId, status, deps);
      const files = writeReport(input, dir);
      const attached: string[] = [];
      if (channel && deps.attach) {
        const common = { channel, key: runId, startedAt: status.startedAt };
        const parts = [
          { filename: `${runId}.md`, title: `Incident report ${runId}`, content: renderMarkdown(input) },
          {
            filename: `${runId}.html`,
            title: `Incident report ${runId} (HTML, with the timeline chart)`,
            content: renderHtml(input),
          },
        ];
        for (const part of parts) {
          const answer = await deps.attach({ ...common, ...part });
          attached.push(`${part.filename}: ${answer.uploaded ? 'uploaded' : (answer.reason ?? 'not uploaded')}`);
        }
      }
      return { ...files, attached };
    },
  };
}
