// Finds and keeps a run's messages by key, so every post is idempotent: a
// retried or restarted activity updates the message it posted before instead
// of posting again. The key (and a content hash) travel in each message's
// metadata; after a restart the thread is found again by reading it back.
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { asFailure, slackCode } from './errors.ts';
import type { Draft } from './render/index.ts';

export const EVENT_TYPE = 'nightshift_message';

interface Known {
  ts: string;
  hash: string;
  memo?: Record<string, string>;
}

export interface Thread {
  /** Channel id once known (Slack answers with ids even when given a name). */
  channel: string;
  parentTs?: string;
  messages: Map<string, Known>;
}

const payloadSchema = z.object({ key: z.string(), hash: z.string().optional(), memo: z.string().optional() });
const messageSchema = z.object({
  ts: z.string(),
  metadata: z.object({ event_type: z.string(), event_payload: z.unknown() }).optional(),
  files: z.array(z.object({ name: z.string().optional(), title: z.string().optional() })).optional(),
});
const pageSchema = z.object({
  messages: z.array(messageSchema).default([]),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

const MAX_PAGES = 10;
const MAX_CACHED = 500;

export function hashDraft(draft: Pick<Draft, 'text' | 'blocks'>): string {
  return createHash('sha256')
    .update(JSON.stringify([draft.text, draft.blocks]))
    .digest('hex')
    .slice(0, 16);
}

export class ThreadStore {
  private readonly cache = new Map<string, Thread>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly client: WebClient;

  constructor(client: WebClient) {
    this.client = client;
  }

  /** Run `fn` on a run's thread, one caller per run at a time. */
  async with<T>(
    channel: string,
    runKey: string,
    startedAt: string | undefined,
    fn: (thread: Thread) => Promise<T>,
  ): Promise<T> {
    const id = `${channel}|${runKey}`;
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const thread = this.cache.get(id) ?? (await this.recover(channel, runKey, startedAt));
        this.remember(id, thread);
        return fn(thread);
      });
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  /** Post the draft, or update the message with its key when the content changed. */
  async upsert(thread: Thread, draft: Draft, parentKey: string): Promise<string> {
    const hash = hashDraft(draft);
    const known = thread.messages.get(draft.key);
    const metadata = {
      event_type: EVENT_TYPE,
      event_payload: { key: draft.key, hash, ...(draft.memo ? { memo: JSON.stringify(draft.memo) } : {}) },
    };
    const body = { channel: thread.channel, text: draft.text, blocks: draft.blocks, metadata };
    if (known && known.hash === hash) return known.ts;
    try {
      if (known) {
        await this.client.chat.update({ ...body, ts: known.ts });
        thread.messages.set(draft.key, { ts: known.ts, hash, ...(draft.memo ? { memo: draft.memo } : {}) });
        return known.ts;
      }
    } catch (err) {
      // Someone deleted the message: post it again rather than fail the run's updates forever.
      if (slackCode(err) !== 'message_not_found') throw asFailure(err, `chat.update ${draft.key}`);
      thread.messages.delete(draft.key);
    }
    const inThread = draft.key !== parentKey && thread.parentTs ? { thread_ts: thread.parentTs } : {};
    try {
      const posted = await this.client.chat.postMessage({ ...body, ...inThread });
      const ts = posted.ts ?? '';
      if (posted.channel) thread.channel = posted.channel;
      thread.messages.set(draft.key, { ts, hash, ...(draft.memo ? { memo: draft.memo } : {}) });
      if (draft.key === parentKey) thread.parentTs = ts;
      return ts;
    } catch (err) {
      throw asFailure(err, `chat.postMessage ${draft.key}`);
    }
  }

  private remember(id: string, thread: Thread): void {
    this.cache.delete(id);
    this.cache.set(id, thread);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Read the thread back from Slack: the parent by its key in the channel history, then its replies. */
  private async recover(channel: string, runKey: string, startedAt: string | undefined): Promise<Thread> {
    const thread: Thread = { channel, messages: new Map() };
    if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return thread; // history needs a channel id
    const oldest = startedAt ? String(Math.floor(Date.parse(startedAt) / 1000) - 120) : undefined;
    const parent = await this.scan(
      (cursor) =>
        this.client.conversations.history({
          channel,
          limit: 200,
          include_all_metadata: true,
          ...(oldest ? { oldest } : {}),
          ...(cursor ? { cursor } : {}),
        }),
      (found) => found.key === runKey,
    );
    if (!parent) return thread;
    thread.parentTs = parent.ts;
    thread.messages.set(runKey, parent.known);
    await this.scan(
      (cursor) =>
        this.client.conversations.replies({
          channel,
          ts: parent.ts,
          limit: 200,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        }),
      (found) => {
        thread.messages.set(found.key, found.known);
        return false;
      },
    );
    return thread;
  }

  private async scan(
    page: (cursor: string | undefined) => Promise<unknown>,
    visit: (found: { key: string; ts: string; known: Known }) => boolean,
  ): Promise<{ key: string; ts: string; known: Known } | undefined> {
    let cursor: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      let raw: unknown;
      try {
        raw = await page(cursor);
      } catch (err) {
        throw asFailure(err, 'reading the thread back');
      }
      const parsed = pageSchema.safeParse(raw);
      if (!parsed.success) return undefined;
      for (const message of parsed.data.messages) {
        for (const found of keysOf(message)) if (visit(found)) return found;
      }
      cursor = parsed.data.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }
}

function keysOf(message: z.infer<typeof messageSchema>): { key: string; ts: string; known: Known }[] {
  const found: { key: string; ts: string; known: Known }[] = [];
  if (message.metadata?.event_type === EVENT_TYPE) {
    const payload = payloadSchema.safeParse(message.metadata.event_payload);
    if (payload.success) {
      const memo = payload.data.memo ? parseMemo(payload.data.memo) : undefined;
      found.push({
        key: payload.data.key,
        ts: message.ts,
        known: { ts: message.ts, hash: payload.data.hash ?? '', ...(memo ? { memo } : {}) },
      });
    }
  }
  for (const file of message.files ?? []) {
    const name = file.title ?? file.name;
    if (name) found.push({ key: fileKey(name), ts: message.ts, known: { ts: message.ts, hash: 'file' } });
  }
  return found;
}

export function fileKey(name: string): string {
  return `file:${name}`;
}

function parseMemo(text: string): Record<string, string> | undefined {
  try {
    const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
