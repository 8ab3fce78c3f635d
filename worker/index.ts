// Public face of worker/: the processes (control worker, node agent, HTTP
// gateway with the alert path, the local Slack stand-in), the way they are
// wired, and what the command line drives through them (runs, faults, game
// days and their schedules). base.ts is the light part of it.
export * from './base.ts';
export * from './alerts/index.ts';
export * from './catalogue.ts';
export * from './control-worker.ts';
export { workflowBundleFor, BUNDLE_CACHE_DIR, type BundleAnswer } from './workflow-bundle.ts';
export * from './faults.ts';
export * from './gameday-port.ts';
export * from './gamedays.ts';
export * from './gateway/index.ts';
export { keepServing } from './http-guard.ts';
export * from './node-agent.ts';
export * from './policy-recorder.ts';
export * from './report-sources.ts';
export * from './runs.ts';
export * from './runtime.ts';
export * from './schedules.ts';
export * from './services.ts';
export * from './slack-standin/index.ts';
export * from './stack.ts';
export * from './temporal.ts';
