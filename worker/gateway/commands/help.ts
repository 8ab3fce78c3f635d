// `/nightshift help`: every subcommand with its usage.
import { ephemeral, type Plan, type Subcommand } from './types.ts';

export function usageText(subcommands: Record<string, Subcommand>): string {
  const lines = Object.values(subcommands).map((s) => `• \`${s.usage}\` — ${s.summary}`);
  return `*nightshift* — incident runbooks and chaos game days\n${lines.join('\n')}`;
}

export function helpCommand(subcommands: () => Record<string, Subcommand>): Subcommand {
  return {
    usage: '/nightshift help',
    summary: 'this list',
    plan: (): Plan => ({ ack: ephemeral(usageText(subcommands())) }),
  };
}
