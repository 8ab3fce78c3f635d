// The shapes of what Slack sends, checked with zod: at the HTTP edge before
// Bolt sees a request, and again in each listener for typed fields.
import { z } from 'zod';

/** The one slash command nightshift answers. */
export const COMMAND = '/nightshift';

export const slashCommandSchema = z.object({
  command: z.string().regex(/^\/[\w-]+$/),
  text: z.string().max(4000),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().min(1),
  team_id: z.string().optional(),
  trigger_id: z.string().min(1),
  response_url: z.url(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

export const buttonActionSchema = z.object({
  type: z.literal('button'),
  action_id: z.string().min(1).max(255),
  block_id: z.string().optional(),
  value: z.string().max(2000).optional(),
  action_ts: z.string().optional(),
});

export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }),
  trigger_id: z.string().min(1),
  response_url: z.url().optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).loose().optional(),
  channel: z.object({ id: z.string() }).loose().optional(),
  actions: z.array(z.object({ type: z.string(), action_id: z.string().min(1).max(255) }).loose()).min(1),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** Interactive payloads nightshift handles; anything else is refused at the edge. */
export const interactionSchema = z.discriminatedUnion('type', [blockActionsSchema], {
  error: 'unsupported interaction type (nightshift handles block_actions)',
});

export const eventsSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('url_verification'), challenge: z.string() }),
  z.object({ type: z.literal('event_callback'), event: z.object({ type: z.string() }).loose() }).loose(),
]);
