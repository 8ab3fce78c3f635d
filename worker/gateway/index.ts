// Public face of the gateway: start it, resolve which Slack it talks to,
// and the pieces other work plugs in (routes, the stop-all dependency).
export { startGateway, SLACK_PATH, type Gateway, type GatewayOptions } from './app.ts';
export { resolveSlack, type SlackSettings } from './settings.ts';
export { Access, cliIdentity } from './access.ts';
export { json, serve, type HttpServer, type Route } from './server.ts';
export { Metrics } from '../../model/index.ts';
export type { StopAllFaults, StopAllRequest, StopAllResult } from './context.ts';
export { runIdFor } from './commands/run.ts';
export { updateIdFor } from './actions/decide.ts';
export { slackActivityDepsFor, startLocalStandin } from './local.ts';
