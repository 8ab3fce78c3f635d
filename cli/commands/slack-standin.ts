// `nightshift slack-standin`: the local Slack Web API stand-in on its own.
// Give the gateway and worker the same NIGHTSHIFT_STANDIN_TOKEN and
// NIGHTSHIFT_STANDIN_SIGNING_SECRET so they agree with it.
import { createLogger, loadConfig, resolveSlack, startLocalStandin } from '../../worker/index.ts';
import { parse, UsageError, type Command } from '../command.ts';

export const slackStandinCommand: Command = {
  summary: 'run the local Slack stand-in (Web API, recorded calls, a channel page)',
  usage: 'usage: nightshift slack-standin',
  async run(args, io) {
    parse(args, {}, false);
    const config = loadConfig();
    if (!config.slack.standin.token || !config.slack.standin.signingSecret) {
      throw new UsageError(
        'set NIGHTSHIFT_STANDIN_TOKEN and NIGHTSHIFT_STANDIN_SIGNING_SECRET (the gateway and worker need the same)',
      );
    }
    const standin = await startLocalStandin(
      config,
      resolveSlack({ ...config, slack: { ...config.slack, mode: 'standin' } }),
      createLogger({ level: config.logLevel, name: 'nightshift-slack-standin' }),
    );
    if (!standin) return 1;
    io.err(
      `Slack stand-in at ${standin.url} (API ${standin.apiUrl}); sends to http://127.0.0.1:${config.http.port}/slack/events`,
    );
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await standin.stop();
    return 0;
  },
};
