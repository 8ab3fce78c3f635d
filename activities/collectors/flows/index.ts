// Public face of the flows collector.
export { createFlowsCollector, describe as describeFlows, type FlowsEvidence } from './collector.ts';
