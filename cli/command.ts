// What a CLI command is, and the small helpers every command shares.
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface Command {
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: Io): Promise<number>;
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs that turns its errors into UsageErrors. */
export function parse<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const jsonFlag = { json: { type: 'boolean', default: false } } as const;

/** The local user running the CLI: the account's name (not $USER, which anyone sets), else $USER. */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'cli';
  }
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A group of subcommands (`lab up`, `fault list`), dispatched by name. */
export function group(summary: string, subcommands: Record<string, Command>, name: string): Command {
  const usage = [
    `usage: nightshift ${name} <${Object.keys(subcommands).join('|')}> ...`,
    ...Object.entries(subcommands).map(([sub, cmd]) => `  ${sub.padEnd(12)} ${cmd.summary}`),
  ].join('\n');
  return {
    summary,
    usage,
    async run(args, io) {
      const [sub, ...rest] = args;
      const command = sub ? subcommands[sub] : undefined;
      if (!command) {
        throw new UsageError(sub ? `unknown ${name} subcommand "${sub}"\n${usage}` : usage);
      }
      return command.run(rest, io);
    },
  };
}
