// The embedded default stack in one process tree: the Temporal dev server
// (SQLite file under the data dir) and the control worker. `dev` runs it until
// interrupted; `demo` runs a scenario on it and stops.
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Logger as Pino } from 'pino';
import { createActivities } from '../activities/index.ts';
import type { Config } from './config.ts';
import { createControlWorker } from './control-worker.ts';
import { isListening, startDevServer, type DevServer } from './devserver.ts';
import type { SlackSettings } from './gateway/index.ts';
import { startPolicyRecorder } from './policy-recorder.ts';
import { installRuntime } from './runtime.ts';
import { controlActivityDeps } from './services.ts';
import { connectClient, connectWorker } from './temporal.ts';

export interface Stack {
  client: Client;
  devServer?: DevServer;
  worker: Worker;
  stop(): Promise<void>;
}

function localPort(address: string): number | undefined {
  const match = /^(?:127\.0\.0\.1|localhost):(\d+)$/.exec(address);
  return match ? Number(match[1]) : undefined;
}

/** Start the dev server when the address is local and nothing answers there yet. */
export async function ensureDevServer(config: Config, log: Pino): Promise<DevServer | undefined> {
  const port = localPort(config.temporal.address);
  if (port === undefined || (await isListening(port))) {
    log.info({ address: config.temporal.address }, 'using the Temporal server already at this address');
    return undefined;
  }
  const dbFile = resolve(join(config.dataDir, 'temporal.db'));
  log.info({ dbFile, port, ui: `http://127.0.0.1:${config.temporal.uiPort}` }, 'starting the Temporal dev server');
  return startDevServer({ dbFile, port, uiPort: config.temporal.uiPort });
}

export async function startStack(config: Config, log: Pino, slack: SlackSettings): Promise<Stack> {
  installRuntime(log, config.metrics.address);
  const devServer = await ensureDevServer(config, log);
  try {
    const connection = await connectWorker(config);
    const client = await connectClient(config);
    const deps = controlActivityDeps(config, log, client, slack);
    // Before the workflow bundle (seconds): policy versions are kept from the start.
    const recorder = startPolicyRecorder(deps.evidence, log);
    const worker = await createControlWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities(deps),
    });
    const running = worker.run();
    log.info({ taskQueue: config.temporal.taskQueue }, 'control worker running');
    return {
      client,
      worker,
      ...(devServer ? { devServer } : {}),
      async stop() {
        // The SDK already shuts the worker down on SIGINT/SIGTERM; only ask if it still runs.
        recorder.stop();
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
        await client.connection.close();
        await connection.close();
        await devServer?.stop();
      },
    };
  } catch (err) {
    await devServer?.stop();
    throw err;
  }
}
