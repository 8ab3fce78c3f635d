// `nightshift dev`: the dev server and the control worker, until Ctrl-C.
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { startStack } from '../../stack.ts';
import { parse, type Command } from '../command.ts';

export const devCommand: Command = {
  summary: 'run the Temporal dev server (SQLite) and the control worker until interrupted',
  usage: 'usage: nightshift dev',
  async run(args, io) {
    parse(args, {}, false);
    const config = loadConfig();
    const log = createLogger({ level: config.logLevel });
    const stack = await startStack(config, log);
    io.out(`nightshift dev: Temporal at ${config.temporal.address}, UI http://127.0.0.1:${config.temporal.uiPort}, task queue ${config.temporal.taskQueue}`);
    io.out('press Ctrl-C to stop');
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    io.out('stopping…');
    await stack.stop();
    return 0;
  },
};
