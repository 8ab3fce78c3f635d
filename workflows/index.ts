// Every workflow the control worker runs. The worker bundles this file.
export { runbookWorkflow } from './runbook/workflow.ts';
export { faultWorkflow, faultNodesWorkflow } from './fault/index.ts';
export { alertIntakeWorkflow } from './alerts/intake.ts';
export { gamedayWorkflow } from './gameday/workflow.ts';
