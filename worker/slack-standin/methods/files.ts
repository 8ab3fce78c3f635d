// The external upload sequence: files.getUploadURLExternal hands out an upload
// URL on the stand-in, the bytes are POSTed there, files.completeUploadExternal
// shares the file into a channel or thread.
import { z } from 'zod';
import { BOT } from '../workspace.ts';
import { ApiError, channelOf, json, method } from './common.ts';

export const fileMethods = {
  'files.getUploadURLExternal': method(
    z.object({
      filename: z.string().min(1),
      length: z.coerce.number().int().min(1),
      alt_txt: z.string().optional(),
      snippet_type: z.string().optional(),
    }),
    (args, ctx) => {
      const id = ctx.ws.newFileId();
      ctx.ws.files.set(id, { id, name: args.filename, title: args.filename, length: args.length });
      return { upload_url: `${ctx.baseUrl}/upload/${id}`, file_id: id };
    },
  ),
  'files.completeUploadExternal': method(
    z.object({
      files: json(z.array(z.strictObject({ id: z.string().min(1), title: z.string().optional() })).min(1)),
      channel_id: z.string().optional(),
      thread_ts: z.string().optional(),
      initial_comment: z.string().optional(),
    }),
    (args, ctx) => {
      const shared = args.files.map((f) => {
        const file = ctx.ws.files.get(f.id);
        if (!file) throw new ApiError('file_not_found');
        if (!file.content) throw new ApiError('file_upload_not_complete');
        if (f.title) file.title = f.title;
        return { id: file.id, name: file.name, title: file.title };
      });
      if (args.channel_id) {
        const channel = channelOf(ctx, args.channel_id);
        if (args.thread_ts && !ctx.ws.message(channel, args.thread_ts)) throw new ApiError('thread_not_found');
        ctx.ws.messages.push({
          ts: ctx.ws.nextTs(),
          channel,
          user: BOT.userId,
          bot_id: BOT.botId,
          text: args.initial_comment ?? '',
          files: shared,
          ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}),
        });
      }
      return { files: shared.map((f) => ({ ...f, url_private: `${ctx.baseUrl}/files/${f.id}` })) };
    },
  ),
};
