// Public face of workflows/: every workflow the control worker runs (the
// worker bundles this file), their messages — inputs, statuses, signals,
// queries and updates — and the pure checks clients share with them.
export { presets } from './presets.ts';

export { runbookWorkflow } from './runbook/workflow.ts';
export * from './runbook/messages.ts';
export { refuseDecision } from './runbook/decisions.ts';

export { faultWorkflow } from './fault/workflow.ts';
export { faultNodesWorkflow } from './fault/nodes.ts';
export * from './fault/messages.ts';
export {
  faultLimits,
  validateFault,
  type FaultLimits,
  type FaultSpec,
  type PortSpec,
  type ValidFault,
  type Validation,
} from './fault/spec.ts';
export { verdictOf } from './fault/state.ts';

export { vantageWorkflow } from './vantage/workflow.ts';

export { alertIntakeWorkflow } from './alerts/intake.ts';
export * from './alerts/messages.ts';
export { newIntakeState } from './alerts/state.ts';

export { gamedayWorkflow } from './gameday/workflow.ts';
export * from './gameday/messages.ts';
export { activeBlackout } from './gameday/blackout.ts';
export {
  blackoutSchema,
  experimentSchema,
  ms,
  type Blackout,
  type ExperimentDocument,
  type GamedayInput,
} from './gameday/experiment.ts';
export {
  describeScore,
  score,
  type ErrorBudget,
  type GamedayOutcome,
  type GamedayScore,
  type Observed,
  type TimelineEvent,
} from './gameday/score.ts';
