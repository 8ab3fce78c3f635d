// The control worker: workflows and cluster-wide activities on the
// `nightshift` task queue.
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { workflowBundleFor } from './workflow-bundle.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ControlWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** A prebuilt bundle; otherwise the kept one, or bundled at start (workflow-bundle.ts). */
  workflowBundle?: WorkflowBundle;
  maxConcurrentActivities?: number;
}

/** The workflows bundled, or the kept bundle while nothing it was made from has changed. */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return (await workflowBundleFor(WORKFLOWS_PATH)).bundle;
}

export async function createControlWorker(options: ControlWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    workflowBundle: options.workflowBundle ?? (await bundleWorkflows()),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    shutdownGraceTime: '5s',
  });
}
