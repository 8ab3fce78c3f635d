// What the alert intake asks the control worker to start for an alert: the
// runbook by name with its parameters (never the compiled runbook, which is
// compiled where the run is started), and what the run should know of its
// alert. Types only.

export interface AlertRunRequest {
  /** `alert-<dedupe key>`: the same alert episode always names the same run. */
  workflowId: string;
  runbook: string;
  /** Rendered from the route's templates; checked against the runbook's parameters where it is compiled. */
  params: Record<string, string>;
  /** Where the run publishes its thread; absent: nowhere. */
  channel?: string;
  alert: { alertname: string; fingerprint: string; startsAt: string; labels: Record<string, string> };
}

export interface AlertRunResult {
  /** False when a run of this id already existed (a repeated or retried start): it is the same run. */
  started: boolean;
  workflowId: string;
}
