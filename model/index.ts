// The ground floor: the vocabulary every other folder shares — errors,
// values, durations, issue lines, step calls, evidence, diagnoses, runs,
// faults, measurements from the node agents and task queues. It imports
// nothing of ours and nothing of Node, so workflows (in their sandbox),
// activities and processes can all use it.
export type * from './alerts.ts';
export type * from './diagnosis.ts';
export * from './duration.ts';
export * from './errors.ts';
export type * from './evidence.ts';
export type * from './fault.ts';
export * from './fault-schema.ts';
export type * from './gameday.ts';
export * from './issues.ts';
export * from './metrics.ts';
export * from './queues.ts';
export type * from './run.ts';
export type * from './step.ts';
export * from './value.ts';
export * from './vantage.ts';
