// chat.postMessage, chat.update, chat.postEphemeral.
import { z } from 'zod';
import { blocksSchema } from '../blocks.ts';
import { BOT, type Message } from '../workspace.ts';
import { ApiError, channelOf, flag, json, metadataSchema, method } from './common.ts';

const content = {
  text: z.string().max(40_000).optional(),
  blocks: json(blocksSchema).optional(),
};

function needText(args: { text?: string | undefined; blocks?: unknown[] | undefined }): void {
  if (!args.text && !(args.blocks && args.blocks.length > 0)) throw new ApiError('no_text');
}

export const chatMethods = {
  'chat.postMessage': method(
    z.object({
      channel: z.string().min(1),
      ...content,
      thread_ts: z.string().optional(),
      metadata: json(metadataSchema).optional(),
      mrkdwn: flag.optional(),
    }),
    (args, ctx) => {
      needText(args);
      const channel = channelOf(ctx, args.channel);
      if (args.thread_ts && !ctx.ws.message(channel, args.thread_ts)) throw new ApiError('thread_not_found');
      const message: Message = {
        ts: ctx.ws.nextTs(),
        channel,
        user: BOT.userId,
        bot_id: BOT.botId,
        text: args.text ?? '',
        ...(args.blocks ? { blocks: args.blocks } : {}),
        ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}),
        ...(args.metadata ? { metadata: args.metadata } : {}),
      };
      ctx.ws.messages.push(message);
      return { channel, ts: message.ts, message };
    },
  ),
  'chat.update': method(
    z.object({
      channel: z.string().min(1),
      ts: z.string().min(1),
      ...content,
      metadata: json(metadataSchema).optional(),
    }),
    (args, ctx) => {
      needText(args);
      const channel = channelOf(ctx, args.channel);
      const message = ctx.ws.message(channel, args.ts);
      if (!message) throw new ApiError('message_not_found');
      if (message.user !== BOT.userId) throw new ApiError('cant_update_message');
      message.text = args.text ?? '';
      if (args.blocks) message.blocks = args.blocks;
      if (args.metadata) message.metadata = args.metadata;
      message.edited = { user: BOT.userId, ts: ctx.ws.nextTs() };
      return { channel, ts: message.ts, text: message.text, message };
    },
  ),
  'chat.postEphemeral': method(
    z.object({ channel: z.string().min(1), user: z.string().min(1), ...content, thread_ts: z.string().optional() }),
    (args, ctx) => {
      needText(args);
      const channel = channelOf(ctx, args.channel);
      if (!ctx.ws.person(args.user)) throw new ApiError('user_not_in_channel');
      const ts = ctx.ws.nextTs();
      ctx.ws.ephemerals.push({
        channel,
        user: args.user,
        text: args.text ?? '',
        ...(args.blocks ? { blocks: args.blocks } : {}),
        ts,
        via: 'chat.postEphemeral',
      });
      return { message_ts: ts };
    },
  ),
};
