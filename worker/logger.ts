// One pino logger for the process, installed into the Temporal runtime so the
// SDK, workflow and activity loggers all end up here. Secrets are redacted
// by path before anything is written.
import { pino, type Logger as Pino } from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Keys whose values must never reach a log line, at any depth up to four levels. */
const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'secret',
  'password',
  'apiKey',
  'bearerToken',
  'authorization',
  'cookie',
  '"x-slack-signature"',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
];

export const REDACT_PATHS = ['', '*.', '*.*.', '*.*.*.'].flatMap((prefix) =>
  SECRET_KEYS.map((key) => (key.startsWith('"') ? `${prefix.slice(0, -1)}[${key}]` : `${prefix}${key}`)),
);

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go; defaults to stderr so stdout stays clean for --json. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Pino {
  return pino(
    {
      name: options.name ?? 'nightshift',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination(2),
  );
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts pino to the Temporal SDK's Logger interface. */
export class TemporalPinoLogger implements Logger {
  private readonly log_: Pino;

  constructor(log: Pino) {
    this.log_ = log;
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.log_[LEVELS[level]](plainMeta(meta), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Temporal passes symbol keys (timestamps); pino wants plain objects. */
function plainMeta(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) out[key] = value;
  return out;
}
