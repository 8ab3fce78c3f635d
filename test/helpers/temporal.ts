// Connecting tests to the run's Temporal dev server, and bundling workflow code once per file.
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/control-worker.ts';

export function temporalAddress(): string {
  const address = process.env.NIGHTSHIFT_TEST_TEMPORAL;
  if (!address)
    throw new Error('NIGHTSHIFT_TEST_TEMPORAL is not set: run tests through jest (global setup starts the server)');
  return address;
}

let runtimeInstalled = false;

const LEVELS = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

/**
 * Keep the SDK's and the activities' logs to warnings so test output stays
 * readable; NIGHTSHIFT_LOG_LEVEL=info (or debug, trace) asks for more, and
 * for the SDK core's own lines at that level too.
 */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  const asked = process.env.NIGHTSHIFT_LOG_LEVEL?.toLowerCase();
  const level = asked && asked in LEVELS ? LEVELS[asked as keyof typeof LEVELS] : undefined;
  if (asked && !level)
    throw new Error(`NIGHTSHIFT_LOG_LEVEL=${asked}: expected one of ${Object.keys(LEVELS).join(', ')}`);
  Runtime.install({
    logger: new DefaultLogger(level ?? 'WARN'),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level ?? 'ERROR', other: level ?? 'ERROR' }) },
    },
  });
  runtimeInstalled = true;
}

export function testEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: temporalAddress() });
}

let bundle: Promise<WorkflowBundle> | undefined;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/** A task queue of this test's own, so tests never steal each other's tasks. */
export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
