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

/** Keep the SDK's own logs to warnings so test output stays readable. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
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
