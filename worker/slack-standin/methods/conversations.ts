// conversations.history and conversations.replies, with cursors and metadata.
import { z } from 'zod';
import type { Message } from '../workspace.ts';
import { ApiError, count, flag, method } from './common.ts';

const page = {
  channel: z.string().regex(/^[CGD][A-Z0-9]+$/, { error: 'channel must be an id' }),
  limit: count.default(100),
  cursor: z.string().optional(),
  include_all_metadata: flag.default(false),
};

function paginate(messages: Message[], limit: number, cursor: string | undefined, metadata: boolean) {
  const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) || 0 : 0;
  const slice = messages.slice(start, start + limit).map((m) => (metadata ? m : withoutMetadata(m)));
  const next = start + limit < messages.length ? Buffer.from(String(start + limit)).toString('base64url') : '';
  return { messages: slice, has_more: next !== '', response_metadata: { next_cursor: next } };
}

/** Slack returns metadata only to callers who ask for it. */
function withoutMetadata(message: Message): Partial<Message> {
  return Object.fromEntries(Object.entries(message).filter(([name]) => name !== 'metadata'));
}

const inWindow = (ts: string, oldest?: string, latest?: string) =>
  (!oldest || Number(ts) >= Number(oldest)) && (!latest || Number(ts) <= Number(latest));

export const conversationMethods = {
  'conversations.history': method(
    z.object({ ...page, oldest: z.string().optional(), latest: z.string().optional() }),
    (args, ctx) => {
      if (!ctx.ws.channel(args.channel)) throw new ApiError('channel_not_found');
      const messages = ctx.ws.history(args.channel).filter((m) => inWindow(m.ts, args.oldest, args.latest));
      return paginate(messages, args.limit, args.cursor, args.include_all_metadata);
    },
  ),
  'conversations.replies': method(z.object({ ...page, ts: z.string().min(1) }), (args, ctx) => {
    if (!ctx.ws.channel(args.channel)) throw new ApiError('channel_not_found');
    const thread = ctx.ws.thread(args.channel, args.ts);
    if (thread.length === 0) throw new ApiError('thread_not_found');
    return paginate(thread, args.limit, args.cursor, args.include_all_metadata);
  }),
};
