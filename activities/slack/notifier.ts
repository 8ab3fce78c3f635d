// A Slack-backed Notifier for the interpreter's `notify` step: the message
// goes into the run's thread when the run has one, else to the channel; the
// step's key makes a retry update the same message.
import type { Notifier } from '../notify.ts';
import { context, section } from './render/blocks.ts';
import type { ThreadStore } from './thread-store.ts';

export function slackNotifier(store: ThreadStore, defaultChannel: string): Notifier {
  return {
    async post(channel, text, key) {
      // Step keys are "<workflowId>/<stepId>"; step ids never contain "/".
      const cut = key.lastIndexOf('/');
      const runKey = cut > 0 ? key.slice(0, cut) : key;
      return store.with(channel ?? defaultChannel, runKey, undefined, async (thread) => {
        const ts = await store.upsert(
          thread,
          { key, text, blocks: [section(text), context(`from run \`${runKey}\``)] },
          runKey,
        );
        return { channel: thread.channel, ts };
      });
    },
  };
}
