// Activity options, named once. Every preset lists our own input errors as
// non-retryable so a bad request fails fast instead of retrying forever.
import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE } from '../model/index.ts';

const retry = (maximumAttempts: number): ActivityOptions['retry'] => ({
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts,
  nonRetryableErrorTypes: NON_RETRYABLE,
});

export const presets = {
  /** Quick calls to APIs: Slack, Kubernetes reads, reports. */
  short: { startToCloseTimeout: '30s', retry: retry(5) },
  /** Kernel changes on a node agent: fast, few retries, idempotent. */
  kernel: { startToCloseTimeout: '20s', scheduleToStartTimeout: '30s', retry: retry(3) },
  /** Starting an alert's run: retried until Temporal answers (an alert is never dropped for a blip); bad input fails at once. */
  alertStart: {
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  /** Rollouts and other long Kubernetes operations; they heartbeat. */
  k8sRollout: { startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry: retry(3) },
} satisfies Record<string, ActivityOptions>;

/** How long a collector may wait in its task queue before a worker starts it. */
export const COLLECTOR_START_TIMEOUT_MS = 2000;

/**
 * A collector's timeout counts from when a worker starts it: the collector
 * plans its work for that much time (activities/collectors/result.ts), so
 * time spent waiting in the queue must not come out of it. The wait is
 * bounded on its own (a busy worker is then named, not taken for a slow
 * collector; Temporal never retries it), and every attempt fits inside the
 * wait plus the timeout.
 */
export function collectorOptions(timeoutMs: number): ActivityOptions {
  return {
    scheduleToStartTimeout: COLLECTOR_START_TIMEOUT_MS,
    startToCloseTimeout: timeoutMs,
    scheduleToCloseTimeout: COLLECTOR_START_TIMEOUT_MS + timeoutMs,
    retry: { ...retry(3), initialInterval: '200ms', maximumInterval: '1s' },
  };
}

/**
 * A measurement on a node agent for a collector's fan-out
 * (workflows/vantage): the wait for the agent to pick it up is bounded on
 * its own (past it, the node counts as having no agent), the whole job fits
 * in the time the collector gave (a late pickup or a hung helper cannot hold
 * back the other nodes' answers past the collector's deadline), and it is
 * tried once: a second try would come after the collector has moved on.
 */
export function vantageOptions(pickupMs: number, runMs: number): ActivityOptions {
  return {
    scheduleToStartTimeout: pickupMs,
    startToCloseTimeout: runMs,
    scheduleToCloseTimeout: runMs,
    retry: { maximumAttempts: 1 },
  };
}

/** An interpreter step with a timeout from the runbook; heartbeats after 30 s of silence. */
export function stepOptions(timeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: Math.min(timeoutMs, 30_000),
    retry: retry(3),
  };
}
