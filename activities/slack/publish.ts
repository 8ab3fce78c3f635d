// The `publishRun` activity: the workflow calls it at every step transition
// and when a decision opens. It brings the run's thread up to date: the parent
// message updated in place, one reply per piece of evidence, diagnosis and
// decision, each updated (never reposted) when it changes.
import { log } from '@temporalio/activity';
import { z } from 'zod';
import type { RunStatus } from '../../model/index.ts';
import { renderRun } from './render/index.ts';
import type { ThreadStore } from './thread-store.ts';

export interface PublishRunArgs {
  channel: string;
  key: string;
  status: RunStatus;
}

export interface PublishResult {
  published: boolean;
  channel?: string;
  ts?: string;
  messages?: number;
}

const argsSchema = z.object({
  channel: z.string().min(1),
  key: z.string().min(1),
  status: z.object({ startedAt: z.string(), steps: z.array(z.unknown()), decisions: z.array(z.unknown()) }).loose(),
});

export function createPublishRun(store: ThreadStore | undefined, now: () => Date = () => new Date()) {
  return async function publishRun(args: PublishRunArgs): Promise<PublishResult> {
    argsSchema.parse(args);
    if (!store) {
      log.debug('publishRun: no Slack configured', { key: args.key, state: args.status.state });
      return { published: false };
    }
    return store.with(args.channel, args.key, args.status.startedAt, async (thread) => {
      const rendered = renderRun(args.key, args.status, now(), (key) => thread.messages.get(key)?.memo);
      const ts = await store.upsert(thread, rendered.parent, args.key);
      for (const reply of rendered.replies) await store.upsert(thread, reply, args.key);
      return { published: true, channel: thread.channel, ts, messages: 1 + rendered.replies.length };
    });
  };
}
