// Public face of probe/ (the process itself is main.ts): reading it, and its JSON.
export { probeSeries, probeSummary } from './client.ts';
export { parseSeconds, probeRowSchema, probeSeriesSchema, probeSummarySchema } from './schema.ts';
export type { ProbeRow, ProbeSeries, ProbeSummary } from './schema.ts';
