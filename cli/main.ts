#!/usr/bin/env node
// nightshift: the command line. Each command lives in commands/ and is
// dispatched by name from the table in commands/index.ts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../worker/index.ts';
import { printJson, UsageError, type Io } from './command.ts';
import { commands } from './commands/index.ts';

const io: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;
  return [
    'usage: nightshift <command> [options]',
    '',
    ...Object.entries(commands).map(([name, cmd]) => `  ${name.padEnd(width)}${cmd.summary}`),
    '',
    'Add --json to any command that prints data. `nightshift <command> --help` for details.',
    '`nightshift --version` (or -V) prints the version, from package.json.',
  ].join('\n');
}

const VERSION_FLAGS = new Set(['--version', '-V']);

/** package.json's version: the one the images are tagged with. */
function version(): string {
  const file = new URL('../package.json', import.meta.url);
  return z.object({ version: z.string() }).parse(JSON.parse(readFileSync(file, 'utf8'))).version;
}

/** `nightshift --version [--json]`: anything else after it is a usage mistake. */
function printVersion(args: string[]): number {
  const rest = args.filter((arg) => !VERSION_FLAGS.has(arg) && arg !== '--json');
  if (rest.length) {
    io.err(`nightshift: unexpected argument ${rest[0]} after --version (usage: nightshift --version [--json])`);
    return 2;
  }
  if (args.includes('--json')) printJson(io, { version: version() });
  else io.out(`nightshift ${version()}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (argv.some((arg) => VERSION_FLAGS.has(arg)) && (name === '--json' || VERSION_FLAGS.has(name ?? ''))) {
    return printVersion(argv);
  }
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`nightshift: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`nightshift ${name}: ${err.message}`);
      if (!err.message.includes('usage:')) io.err(command.usage);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`nightshift: ${err.message}`);
      return 1;
    }
    io.err(`nightshift ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
