// Public face of the fault workflows for clients (CLI, game days, tests).
export { faultWorkflow } from './workflow.ts';
export { faultNodesWorkflow } from './nodes.ts';
export * from './messages.ts';
export { faultLimits, validateFault, type FaultLimits, type FaultSpec, type PortSpec, type ValidFault, type Validation } from './spec.ts';
export { verdictOf } from './state.ts';
