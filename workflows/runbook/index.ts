// Public face of the runbook workflow for clients (CLI, gateway, tests).
export * from './messages.ts';
export { refuseDecision } from './decisions.ts';
export { decisionOptions, nodeQueue } from './steps.ts';
