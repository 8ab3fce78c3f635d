// A report on disk: `<run id>.md` and `<run id>.html` in one directory,
// rewritten whole each time (writing the same report twice is harmless).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportInput } from './model.ts';

export interface ReportFiles {
  markdown: string;
  html: string;
}

export function writeReport(input: ReportInput, dir: string): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const files = { markdown: join(dir, `${input.runId}.md`), html: join(dir, `${input.runId}.html`) };
  writeFileSync(files.markdown, renderMarkdown(input));
  writeFileSync(files.html, renderHtml(input));
  return files;
}
