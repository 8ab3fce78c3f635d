// Files into a run's thread through Slack's external upload sequence:
// files.getUploadURLExternal, a POST of the bytes, files.completeUploadExternal.
// Idempotent by file name within the thread.
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { ErrorType, failure } from '../../model/index.ts';
import { asFailure } from './errors.ts';
import { fileKey, type ThreadStore } from './thread-store.ts';

export const publishReportArgsSchema = z.object({
  channel: z.string().min(1),
  /** The run's key (its workflow id). */
  key: z.string().min(1),
  filename: z.string().min(1).max(200),
  title: z.string().max(250).optional(),
  content: z.string(),
  comment: z.string().max(3000).optional(),
  startedAt: z.string().optional(),
});

export type PublishReportArgs = z.infer<typeof publishReportArgsSchema>;

export async function uploadFile(
  client: WebClient,
  target: { channel: string; threadTs?: string },
  file: { filename: string; title?: string; content: Buffer; comment?: string },
): Promise<string> {
  let upload;
  try {
    upload = await client.files.getUploadURLExternal({ filename: file.filename, length: file.content.length });
  } catch (err) {
    throw asFailure(err, 'files.getUploadURLExternal');
  }
  if (!upload.upload_url || !upload.file_id)
    throw failure(ErrorType.Transient, 'files.getUploadURLExternal gave no upload URL');
  const response = await fetch(upload.upload_url, { method: 'POST', body: new Uint8Array(file.content) });
  if (!response.ok) throw failure(ErrorType.Transient, `file upload answered HTTP ${response.status}`);
  try {
    await client.files.completeUploadExternal({
      files: [{ id: upload.file_id, title: file.title ?? file.filename }],
      channel_id: target.channel,
      ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
      ...(file.comment ? { initial_comment: file.comment } : {}),
    });
  } catch (err) {
    throw asFailure(err, 'files.completeUploadExternal');
  }
  return upload.file_id;
}

export function createPublishReport(client: WebClient | undefined, store: ThreadStore | undefined) {
  return async function publishReport(
    args: PublishReportArgs,
  ): Promise<{ uploaded: boolean; fileId?: string; reason?: string }> {
    const input = publishReportArgsSchema.parse(args);
    if (!client || !store) return { uploaded: false, reason: 'no Slack configured' };
    return store.with(input.channel, input.key, input.startedAt, async (thread) => {
      const key = fileKey(input.title ?? input.filename);
      if (thread.messages.has(key)) return { uploaded: false, reason: 'already in the thread' };
      const fileId = await uploadFile(
        client,
        { channel: thread.channel, ...(thread.parentTs ? { threadTs: thread.parentTs } : {}) },
        {
          filename: input.filename,
          content: Buffer.from(input.content, 'utf8'),
          ...(input.title ? { title: input.title } : {}),
          ...(input.comment ? { comment: input.comment } : {}),
        },
      );
      thread.messages.set(key, { ts: fileId, hash: 'file' });
      return { uploaded: true, fileId };
    });
  };
}
