// Installs pino as the Temporal runtime's logger, once per process, and, when
// an address is given, serves the runtime's metrics (temporal_*: task slots,
// poll and schedule-to-start latencies, failures) there for Prometheus.
import { Runtime } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { TemporalPinoLogger } from './logger.ts';

let installed = false;

export function installRuntime(log: Pino, metricsAddress?: string): void {
  if (installed) return;
  Runtime.install({
    logger: new TemporalPinoLogger(log),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                // Prometheus's own conventions: counters end in _total, durations in seconds (…_seconds_bucket).
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
  if (metricsAddress) log.info({ metrics: `http://${metricsAddress}/metrics` }, 'serving Temporal metrics');
  installed = true;
}
