// Public face of reports: assemble what a report needs, render it two ways,
// write it, and the closing activity that does all of it for a run.
export {
  createReportActivities,
  type AttachReport,
  type CloseRunArgs,
  type CloseRunResult,
  type ReportDeps,
} from './activity.ts';
export { assembleReport, type ReportSources } from './assemble.ts';
export { renderChart } from './chart.ts';
export { renderHtml } from './html.ts';
export { findingsOf, renderMarkdown } from './markdown.ts';
export * from './model.ts';
export { writeReport, type ReportFiles } from './write.ts';
