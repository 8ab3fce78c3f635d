// `nightshift worker`: the control worker alone, against the configured Temporal.
import { createActivities } from '../../activities/index.ts';
import {
  loadConfig,
  createControlWorker,
  createLogger,
  installRuntime,
  resolveSlack,
  controlActivityDeps,
  connectClient,
  connectWorker,
  startPolicyRecorder,
} from '../../worker/index.ts';
import { parse, type Command } from '../command.ts';

export const workerCommand: Command = {
  summary: 'run the control worker (task queue `nightshift`) against the configured Temporal',
  usage: 'usage: nightshift worker',
  async run(args, io) {
    parse(args, {}, false);
    const config = loadConfig();
    const log = createLogger({ level: config.logLevel, name: 'nightshift-worker' });
    installRuntime(log, config.metrics.address);
    const connection = await connectWorker(config);
    const client = await connectClient(config);
    const deps = controlActivityDeps(config, log, client, resolveSlack(config));
    // Policy versions are kept from the start (before the workflow bundle, which takes seconds),
    // so restore-policy knows what held before a change.
    const recorder = startPolicyRecorder(deps.evidence, log);
    const worker = await createControlWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities(deps),
    });

    io.err(`control worker on ${config.temporal.address}, task queue ${config.temporal.taskQueue}`);
    // The SDK shuts the worker down on SIGINT/SIGTERM and lets in-flight tasks finish.
    await worker.run();
    recorder.stop();
    await client.connection.close();
    await connection.close();
    return 0;
  },
};
