// Public face of the Slack stand-in: a local server that speaks the Slack Web
// API methods nightshift uses, records every call, and serves a page where a
// person can use the whole flow without a Slack workspace.
export { startStandin, type Standin, type StandinOptions } from './server.ts';
export { signature, signForm, deliver, type Delivery, type SignedRequest } from './sign.ts';
export {
  BOT,
  DEFAULT_CHANNELS,
  DEFAULT_PEOPLE,
  TEAM,
  Workspace,
  type Message,
  type RecordedCall,
} from './workspace.ts';
export { InteractionError, type ClickInput, type Interactor } from './interact.ts';
export { standinClient, type StandinClient } from './client.ts';

/** Roles for the stand-in's demo people, used when the config names nobody. */
export const DEMO_ACCESS: Record<string, ('viewer' | 'responder' | 'chaos-operator' | 'approver')[]> = {
  U0ALICE: ['responder', 'chaos-operator'],
  U0BOB: ['responder', 'approver'],
  U0CAROL: ['viewer'],
};
