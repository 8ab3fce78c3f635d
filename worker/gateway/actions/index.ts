// Interactive actions: decision buttons, and a catch-all that answers any
// other action id instead of leaving it unacknowledged.
import type { App } from '@slack/bolt';
import { DECIDE_ACTION } from '../../../activities/index.ts';
import type { ListenerContext } from '../context.ts';
import { tracked } from '../in-flight.ts';
import { handleDecide, handleUnknownAction } from './decide.ts';

export function register(app: App, ctx: ListenerContext): void {
  const decide = handleDecide(ctx);
  const unknown = handleUnknownAction(ctx);
  app.action({ type: 'block_actions', action_id: DECIDE_ACTION }, async ({ body, ack, respond }) =>
    tracked(ctx.inFlight, decide({ body, ack, respond })),
  );
  app.action({ type: 'block_actions', action_id: /^(?!nightshift:decide:)/ }, async ({ body, ack, respond }) =>
    tracked(ctx.inFlight, unknown({ body, ack, respond })),
  );
}
