// `/nightshift help`, and `gameday`, which answers that game days are not
// available yet (they come with the game-day work).
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

export const gameday: Subcommand = {
  usage: '/nightshift gameday ...',
  summary: 'game days (not available yet)',
  permission: 'faults',
  plan: () => ({ ack: ephemeral('Game days are not available yet: they arrive with the game-day work. Nothing was started.') }),
};
