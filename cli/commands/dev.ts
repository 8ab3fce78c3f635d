// `nightshift dev`: the dev server and the control worker, until Ctrl-C.
import {
  createLogger,
  gatewayRoutes,
  gatewayStopAll,
  keepServing,
  loadConfig,
  resolveSlack,
  startGateway,
  startLocalStandin,
  startStack,
} from '../../worker/index.ts';
import { evidenceSources } from '../../activities/index.ts';
import { parse, type Command } from '../command.ts';

export const devCommand: Command = {
  summary:
    'run the Temporal dev server (SQLite), the control worker, the gateway and (without a bot token) the Slack stand-in',
  usage: 'usage: nightshift dev',
  async run(args, io) {
    parse(args, {}, false);
    const config = loadConfig();
    const log = createLogger({ level: config.logLevel });
    const restore = keepServing(log);
    const slack = resolveSlack(config);
    const standin = await startLocalStandin(config, slack, log);
    const stack = await startStack(config, log, slack);
    const gateway = await startGateway({
      config,
      slack,
      client: stack.client,
      log,
      routes: gatewayRoutes(config, log, stack.client, slack, 'dev'),
      stopAllFaults: gatewayStopAll(config, stack.client),
    });
    io.out(
      `nightshift dev: Temporal at ${config.temporal.address}, UI http://127.0.0.1:${config.temporal.uiPort}, task queue ${config.temporal.taskQueue}`,
    );
    io.out(
      `gateway on http://127.0.0.1:${gateway.port} (Slack: ${slack.mode})${standin ? `; Slack stand-in page ${standin.url}` : ''}`,
    );
    const sources = evidenceSources();
    const width = Math.max(...sources.map((s) => s.source.length));
    for (const s of sources) {
      io.out(`evidence: ${s.have ? 'have' : 'LACK'} ${s.source.padEnd(width)}  ${s.detail}  (${s.collectors})`);
    }
    io.out('press Ctrl-C to stop');
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    io.out('stopping…');
    await gateway.stop();
    await stack.stop();
    await standin?.stop();
    restore();
    return 0;
  },
};
