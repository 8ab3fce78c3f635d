// The activity the alert intake calls to start an alert's run. The run is
// compiled where it is started: the worker's AlertRunPort (worker/alerts)
// finds the runbook by name, checks the parameters, and starts the run, so
// the compiled runbook never travels through the intake's signals or state.
import type { AlertRunRequest, AlertRunResult } from '../../model/index.ts';
import { failure } from '../../model/index.ts';

/** The Temporal side of starting an alert's run; the worker injects it. */
export interface AlertRunPort {
  /** Starts the run (REJECT_DUPLICATE); throws RunRequestError-like failures as InvalidInput. */
  startRun(request: AlertRunRequest): Promise<AlertRunResult>;
}

export interface AlertDeps {
  alertRuns?: AlertRunPort;
}

export function createAlertActivities(deps: AlertDeps) {
  return {
    async startAlertRun(request: AlertRunRequest): Promise<AlertRunResult> {
      if (!deps.alertRuns)
        throw failure('Unsupported', 'startAlertRun needs the alert path (the control worker wires one)');
      return deps.alertRuns.startRun(request);
    },
  };
}
