// `nightshift gateway`: the HTTP gateway (Slack, health, metrics) against the
// configured Temporal; in stand-in mode the stand-in runs beside it.
import {
  ConfigError,
  connectClient,
  createLogger,
  gatewayRoutes,
  gatewayStopAll,
  keepServing,
  loadConfig,
  resolveSlack,
  startGateway,
  startLocalStandin,
  webhookAuthProblem,
} from '../../worker/index.ts';
import { parse, type Command } from '../command.ts';

export const gatewayCommand: Command = {
  summary: 'run the HTTP gateway: Slack commands and buttons, the Alertmanager webhook, /healthz, /readyz, /metrics',
  usage: 'usage: nightshift gateway [--no-standin]',
  async run(args, io) {
    const { values } = parse(args, { 'no-standin': { type: 'boolean', default: false } }, false);
    const config = loadConfig();
    // Before anything starts: a gateway outside dev and demo never serves an open webhook by accident.
    const open = webhookAuthProblem(config.alerts, 'service');
    if (open) throw new ConfigError(open);
    const slack = resolveSlack(config);
    const log = createLogger({ level: config.logLevel, name: 'nightshift-gateway' });
    const restore = keepServing(log);
    const standin = values['no-standin'] ? undefined : await startLocalStandin(config, slack, log);
    const client = await connectClient(config);
    const gateway = await startGateway({
      config,
      slack,
      client,
      log,
      routes: gatewayRoutes(config, log, client, slack),
      stopAllFaults: gatewayStopAll(config, client),
    });
    io.err(
      `gateway on :${gateway.port} (${slack.mode}${slack.socketMode ? ', socket mode' : ''})${standin ? `; Slack stand-in at ${standin.url}` : ''}`,
    );
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await gateway.stop();
    await standin?.stop();
    await client.connection.close();
    restore();
    return 0;
  },
};
