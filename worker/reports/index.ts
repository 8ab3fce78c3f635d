// Public face of reports: gather what a report needs, render it two ways.
export { renderMarkdown, findingsOf } from './markdown.ts';
export { renderHtml } from './html.ts';
export { renderChart } from './chart.ts';
export * from './model.ts';
export { gatherReport, writeReport } from './gather.ts';
