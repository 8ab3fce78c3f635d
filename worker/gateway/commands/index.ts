// The /nightshift slash command: one small callback that parses, checks the
// caller's role, acks (within Slack's 3 s, carrying any problem), and only
// then does the subcommand's work. Subcommands are dispatched through a map.
import type { App } from '@slack/bolt';
import { NEEDS } from '../access.ts';
import type { ListenerContext } from '../context.ts';
import { tracked } from '../in-flight.ts';
import { COMMAND, slashCommandSchema } from '../payloads.ts';
import { echo, echoError } from './echo.ts';
import { gameday } from './gameday.ts';
import { helpCommand, usageText } from './help.ts';
import { words } from './parse.ts';
import { run } from './run.ts';
import { status } from './status.ts';
import { stopAll } from './stop-all.ts';
import { ephemeral, UsageProblem, type Plan, type Reply, type Respond, type Subcommand } from './types.ts';

export { COMMAND };

export const SUBCOMMANDS: Record<string, Subcommand> = {
  run,
  status,
  gameday,
  'stop-all': stopAll,
  help: helpCommand(() => SUBCOMMANDS),
};

export interface CommandArgs {
  command: unknown;
  ack: (reply?: Reply) => Promise<void>;
  respond: Respond;
}

/** The subcommand of this name; never one of Object's own properties (`constructor`, `__proto__`). */
function subcommand(name: string): Subcommand | undefined {
  return Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
}

type Outcome = Plan & { sub: string };

export function handleCommand(ctx: ListenerContext) {
  return async ({ command, ack, respond }: CommandArgs): Promise<void> => {
    const started = performance.now();
    const parsed = slashCommandSchema.safeParse(command);
    const plan = (): Outcome => {
      if (!parsed.success) return { ack: ephemeral('That command could not be read.'), sub: 'invalid' };
      const [name = 'help', ...args] = words(parsed.data.text);
      const sub = subcommand(name);
      if (!sub)
        return { ack: ephemeral(`Unknown subcommand "${echo(name)}".\n${usageText(SUBCOMMANDS)}`), sub: 'unknown' };
      if (sub.permission && !ctx.access.allows(parsed.data.user_id, sub.permission)) {
        return {
          ack: ephemeral(`You may not use \`${name}\`: it needs the role ${NEEDS[sub.permission].join(' or ')}.`),
          sub: name,
        };
      }
      try {
        return { ...sub.plan({ args, command: parsed.data, ctx }), sub: name };
      } catch (err) {
        if (err instanceof UsageProblem)
          return { ack: ephemeral(`${err.message}\nusage: \`${sub.usage}\``), sub: name };
        // Still acked: Slack would otherwise tell the person only that the app did not answer.
        ctx.log.error({ err, sub: name }, 'a command could not be planned');
        return { ack: ephemeral(`Something went wrong with \`${name}\`; nothing was done.`), sub: name };
      }
    };
    const outcome = plan();
    try {
      await ack(outcome.ack);
    } catch (err) {
      // Slack has already told the person it failed; acting now would surprise them.
      ctx.log.warn({ err, sub: outcome.sub }, 'ack failed; the command was not carried out');
      return;
    }
    ctx.metrics.inc('nightshift_slack_commands_total', 'Slash commands by subcommand', { sub: outcome.sub });
    ctx.metrics.observe(
      'nightshift_slack_ack_seconds',
      'Listener time until ack',
      (performance.now() - started) / 1000,
      { kind: 'command' },
    );
    if (!('after' in outcome) || !outcome.after) return;
    await outcome.after(respond).catch(async (err: unknown) => {
      ctx.log.error({ err, sub: outcome.sub }, 'command failed after ack');
      await respond(ephemeral(`Something went wrong: ${echoError(err)}`)).catch(() => undefined);
    });
  };
}

export function register(app: App, ctx: ListenerContext): void {
  const handle = handleCommand(ctx);
  app.command(COMMAND, async ({ command, ack, respond }) => tracked(ctx.inFlight, handle({ command, ack, respond })));
}
