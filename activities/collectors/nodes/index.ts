// Public face of the node-to-node collector.
export { createNodeNetworkCollector, type NodeNetworkEvidence } from './collector.ts';
export { assessPairs, assessPaths, commonNode, pairStats, type PairStats } from './pairs.ts';
