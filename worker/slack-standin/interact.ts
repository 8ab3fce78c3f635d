// What a person does in the stand-in, sent to the gateway as Slack sends it:
// slash commands and button clicks (block_actions), form-encoded and signed
// with the signing secret. Replies come back through the response_url.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deliver, signForm, type Delivery, type SignedRequest } from './sign.ts';
import { BOT, TEAM, type Workspace } from './workspace.ts';

export interface Interactor {
  command(
    input: { user: string; text: string; channel?: string; command?: string },
    headers?: Record<string, string>,
  ): Promise<Delivery & { triggerId: string }>;
  click(input: ClickInput, headers?: Record<string, string>): Promise<Delivery & { triggerId: string }>;
  /** The block_actions payload a click would send (its response_url works), without sending it. */
  clickPayload(input: ClickInput): { payload: Record<string, unknown>; triggerId: string };
  /** Every request sent to the gateway, as sent (tests replay them as Slack's retries). */
  sent: { url: string; headers: Record<string, string>; body: string; status: number }[];
  /** Where a response_url of this id posts to, and for whom. */
  responder(id: string): { user: string; channel: string; messageTs?: string } | undefined;
}

const buttonSchema = z.object({
  type: z.literal('button'),
  action_id: z.string(),
  value: z.string().optional(),
  text: z.object({ text: z.string() }),
});
const actionsBlockSchema = z.object({
  type: z.literal('actions'),
  block_id: z.string().optional(),
  elements: z.array(z.unknown()),
});

export class InteractionError extends Error {}

export interface ClickInput {
  user: string;
  channel: string;
  ts: string;
  actionId: string;
}

export function createInteractor(
  ws: Workspace,
  options: { baseUrl: () => string; gatewayUrl: string | (() => string); signingSecret: string },
): Interactor {
  const responders = new Map<string, { user: string; channel: string; messageTs?: string }>();
  const sent: Interactor['sent'] = [];
  const send = async (request: SignedRequest, headers: Record<string, string>) => {
    const url = gateway();
    const delivery = await deliver(url, request, headers);
    sent.push({ url, headers: { ...request.headers, ...headers }, body: request.body, status: delivery.status });
    return delivery;
  };
  const newTrigger = () => `${Date.now()}.${randomBytes(6).toString('hex')}`;
  const responseUrl = (target: { user: string; channel: string; messageTs?: string }) => {
    const id = randomBytes(8).toString('hex');
    responders.set(id, target);
    return `${options.baseUrl()}/respond/${id}`;
  };
  const gateway = () => (typeof options.gatewayUrl === 'string' ? options.gatewayUrl : options.gatewayUrl());
  const who = (id: string) => {
    const person = ws.person(id);
    if (!person) throw new InteractionError(`unknown user ${id}`);
    return person;
  };

  return {
    async command(input, headers = {}) {
      const person = who(input.user);
      const channel = ws.channel(input.channel ?? ws.channels[0]?.id ?? '');
      if (!channel) throw new InteractionError(`unknown channel ${input.channel}`);
      const triggerId = newTrigger();
      const fields = {
        token: 'standin-verification-token',
        team_id: TEAM.id,
        team_domain: TEAM.domain,
        channel_id: channel.id,
        channel_name: channel.name,
        user_id: person.id,
        user_name: person.name,
        command: input.command ?? '/nightshift',
        text: input.text,
        api_app_id: 'A0NIGHTSHIFT',
        response_url: responseUrl({ user: person.id, channel: channel.id }),
        trigger_id: triggerId,
      };
      const delivery = await send(signForm(options.signingSecret, fields), headers);
      return { ...delivery, triggerId };
    },

    async click(input, headers = {}) {
      const { payload, triggerId } = this.clickPayload(input);
      const delivery = await send(signForm(options.signingSecret, { payload: JSON.stringify(payload) }), headers);
      return { ...delivery, triggerId };
    },

    clickPayload(input) {
      const person = who(input.user);
      const message = ws.message(input.channel, input.ts);
      if (!message) throw new InteractionError(`no message ${input.ts} in ${input.channel}`);
      const found = findButton(message.blocks ?? [], input.actionId);
      if (!found) throw new InteractionError(`no button ${input.actionId} on message ${input.ts}`);
      const triggerId = newTrigger();
      const payload = {
        type: 'block_actions',
        user: { id: person.id, username: person.name, name: person.name, team_id: TEAM.id },
        api_app_id: 'A0NIGHTSHIFT',
        token: 'standin-verification-token',
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
        trigger_id: triggerId,
        team: { id: TEAM.id, domain: TEAM.domain },
        channel: { id: message.channel, name: ws.channel(message.channel)?.name ?? '' },
        message: {
          type: 'message',
          ts: message.ts,
          user: BOT.userId,
          bot_id: BOT.botId,
          text: message.text,
          blocks: message.blocks,
        },
        response_url: responseUrl({ user: person.id, channel: message.channel, messageTs: message.ts }),
        actions: [
          {
            type: 'button',
            action_id: found.button.action_id,
            block_id: found.blockId,
            text: { type: 'plain_text', text: found.button.text.text, emoji: true },
            ...(found.button.value !== undefined ? { value: found.button.value } : {}),
            action_ts: `${Date.now() / 1000}`,
          },
        ],
      };
      return { payload, triggerId };
    },

    responder: (id) => responders.get(id),
    sent,
  };
}

function findButton(blocks: unknown[], actionId: string) {
  for (const raw of blocks) {
    const block = actionsBlockSchema.safeParse(raw);
    if (!block.success) continue;
    for (const element of block.data.elements) {
      const button = buttonSchema.safeParse(element);
      if (button.success && button.data.action_id === actionId)
        return { button: button.data, blockId: block.data.block_id ?? 'actions' };
    }
  }
  return undefined;
}
