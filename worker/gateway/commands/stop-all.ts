// `/nightshift stop-all`: the kill switch. Acks in the channel (everyone should
// see it), then calls the fault work's stopAllFaults and reports the result.
import { ephemeral, UsageProblem, type Invocation, type Plan, type Subcommand } from './types.ts';

function plan({ args, command, ctx }: Invocation): Plan {
  if (args.length) throw new UsageProblem('stop-all takes no arguments');
  const stopAllFaults = ctx.stopAllFaults;
  if (!stopAllFaults)
    return { ack: ephemeral('Fault control is not available in this gateway yet; nothing was stopped.') };
  return {
    ack: { response_type: 'in_channel', text: `🛑 <@${command.user_id}> is stopping all faults…` },
    async after(respond) {
      const result = await stopAllFaults({
        by: { id: command.user_id, ...(command.user_name ? { name: command.user_name } : {}), via: 'slack' },
        reason: `stop-all from Slack by ${command.user_name ?? command.user_id}`,
        requestId: command.trigger_id,
      });
      ctx.metrics.inc('nightshift_slack_stop_all_total', 'stop-all requests from Slack');
      const details = (result.details ?? [])
        .slice(0, 20)
        .map((d) => `\n• ${d}`)
        .join('');
      await respond({ response_type: 'in_channel', text: `🛑 All faults stopped (${result.stopped}).${details}` });
    },
  };
}

export const stopAll: Subcommand = {
  usage: '/nightshift stop-all',
  summary: 'stop every active fault now (chaos-operator)',
  permission: 'faults',
  plan,
};
