// Public face of the probes: verify probes and the probe collector.
export { createProbeActivities, type ProbeDeps } from './probes.ts';
export {
  assessProbe,
  baselineOf,
  DEFAULT_PROBE_THRESHOLDS,
  probeEvidence,
  typicalP95Of,
  type ProbeEvidence,
  type ProbeThresholds,
} from './assess.ts';
export type { ProbeSeries, ProbeSummary } from './schema.ts';
