// Public face of the flows collector.
export { createFlowsCollector, describe as describeFlows, type FlowsEvidence } from './collector.ts';
export { nextSlice, readRelay, windowQuestions, type RelayQuestions, type RelayReading } from './relay.ts';
