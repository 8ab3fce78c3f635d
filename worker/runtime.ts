// Installs pino as the Temporal runtime's logger, once per process.
import { Runtime } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { TemporalPinoLogger } from './logger.ts';

let installed = false;

export function installRuntime(log: Pino): void {
  if (installed) return;
  Runtime.install({
    logger: new TemporalPinoLogger(log),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
  installed = true;
}
