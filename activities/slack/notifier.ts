// A Slack-backed Notifier for the interpreter's `notify` step: the message
// goes into the run's thread when the run has one, else to the channel; the
// step's key makes a retry update the same message. The text is shown as
// text: its `&`, `<`, `>` are escaped (templates carry alert labels and
// parameters), so a message can neither mention `<!channel>` nor make a link.
import type { Notifier } from '../notify.ts';
import { clip, context, esc, section } from './render/blocks.ts';

/** Longest notify text kept (Slack's own limit for a section is 3,000). */
const MAX_TEXT = 3000;
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
          {
            key,
            text: clip(esc(text), MAX_TEXT),
            blocks: [section(esc(text)), context(`from run \`${esc(runKey)}\``)],
          },
          runKey,
        );
        return { channel: thread.channel, ts };
      });
    },
  };
}
