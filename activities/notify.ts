// The interpreter's `notify` step. Without a chat client the message goes to
// the activity log, so a CLI run still shows it.
import { log } from '@temporalio/activity';
import type { StepCall } from '../model/index.ts';

export interface Notifier {
  post(channel: string | undefined, text: string, key: string): Promise<{ channel: string; ts: string }>;
}

export interface NotifyDeps {
  notifier?: Notifier;
}

export function createNotifyActivities(deps: NotifyDeps) {
  return {
    async notify(call: StepCall): Promise<{ posted: boolean; message: string; channel?: string; ts?: string }> {
      const message = String(call.params.message ?? '');
      const channel = typeof call.params.channel === 'string' ? call.params.channel : undefined;
      if (!deps.notifier) {
        log.info('notify (no chat configured)', { runbook: call.context.runbook, message });
        return { posted: false, message };
      }
      const posted = await deps.notifier.post(channel, message, call.context.key);
      return { posted: true, message, ...posted };
    },
  };
}
