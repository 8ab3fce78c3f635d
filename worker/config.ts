// Configuration is read once at start: an optional YAML/JSON file named by
// NIGHTSHIFT_CONFIG, overlaid by environment variables, validated as a whole.
// Every problem is reported in one message, with the variable or file path.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationSchema, formatIssues } from '../model/index.ts';
import { ALERT_ENV, alertsSchema } from './alerts/config.ts';
import { flagSchema, portSchema } from './config-values.ts';

export const ROLES = ['viewer', 'responder', 'chaos-operator', 'approver', 'chaos-admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/**
 * Slack: real Slack when a bot token is given (or mode is "slack"), else the
 * local stand-in. Secrets come from the value or from a file (see SECRETS).
 */
export const slackSchema = z.object({
  mode: z.enum(['auto', 'slack', 'standin']).default('auto'),
  botToken: z.string().min(1).optional(),
  signingSecret: z.string().min(1).optional(),
  appToken: z.string().min(1).optional(),
  socketMode: flagSchema.default(false),
  /** Channel id (C…) where runs started from Slack post their thread. */
  channel: z.string().min(1).optional(),
  /** A Slack-compatible Web API base URL (the stand-in); defaults to Slack's. */
  apiUrl: z.url().optional(),
  standin: z
    .object({
      port: portSchema.default(3001),
      host: z.string().min(1).default('127.0.0.1'),
      /** Shared by the stand-in, gateway and worker when they run as separate processes. */
      token: z.string().min(1).optional(),
      signingSecret: z.string().min(1).optional(),
      /** Where its clients reach it, for the URLs it hands out (response_url, uploads); default where it listens. */
      publicUrl: z.url().optional(),
    })
    .prefault({}),
});

export const configSchema = z.object({
  temporal: z
    .object({
      address: z.string().min(1).default('127.0.0.1:7233'),
      namespace: z.string().min(1).default('default'),
      taskQueue: z.string().min(1).default('nightshift'),
      /** Dev-server UI port used by `nightshift dev` and `demo`. */
      uiPort: portSchema.default(8233),
      tls: z
        .object({
          certPath: z.string().optional(),
          keyPath: z.string().optional(),
          caPath: z.string().optional(),
          serverName: z.string().optional(),
        })
        .optional(),
      apiKey: z.string().optional(),
    })
    .prefault({}),
  dataDir: z.string().default('.nightshift'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  http: z
    .object({
      port: portSchema.default(3000),
      /** Where the gateway listens: loopback unless told (0.0.0.0 in a pod, so its Service and probes reach it). */
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  metrics: z
    .object({
      /** host:port where a worker or node agent serves its Temporal metrics for Prometheus; unset = none. */
      address: z
        .string()
        .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9464')
        .optional(),
    })
    .prefault({}),
  access: z
    .object({
      /** Slack user id -> roles. */
      users: z.record(z.string(), z.array(roleSchema)).default({}),
      /** Slack user-group id -> roles, for every member. */
      groups: z.record(z.string(), z.array(roleSchema)).default({}),
      /**
       * Local CLI user name -> the Slack user id that person is. The CLI
       * acts as that user (their roles, and the same person in four-eyes);
       * an unmapped CLI user is `cli:<name>` and may not approve changes that
       * need four eyes.
       */
      cli: z.record(z.string(), z.string().min(1)).default({}),
      /** Namespaces where whoever started a run may not approve its remediation. */
      productionNamespaces: z.array(z.string()).default(['production', 'finance']),
    })
    .prefault({}),
  faults: z
    .object({
      maxDuration: durationSchema.default('30m'),
      allowedNamespaces: z.array(z.string()).default(['production', 'finance', 'default']),
      maxPods: z.coerce.number().int().positive().default(10),
      /**
       * More peers every node agent keeps faults away from, besides the ones it finds
       * (Temporal, the API server, etcd, cluster DNS): "host", "host:port" or "name=host".
       */
      protectedPeers: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  slack: slackSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variables and where they land in the config. */
const ENV_PATHS: Record<string, string[]> = {
  TEMPORAL_ADDRESS: ['temporal', 'address'],
  TEMPORAL_NAMESPACE: ['temporal', 'namespace'],
  NIGHTSHIFT_TASK_QUEUE: ['temporal', 'taskQueue'],
  TEMPORAL_UI_PORT: ['temporal', 'uiPort'],
  TEMPORAL_TLS_CERT: ['temporal', 'tls', 'certPath'],
  TEMPORAL_TLS_KEY: ['temporal', 'tls', 'keyPath'],
  TEMPORAL_TLS_CA: ['temporal', 'tls', 'caPath'],
  TEMPORAL_TLS_SERVER_NAME: ['temporal', 'tls', 'serverName'],
  TEMPORAL_API_KEY: ['temporal', 'apiKey'],
  NIGHTSHIFT_DATA_DIR: ['dataDir'],
  LOG_LEVEL: ['logLevel'],
  NIGHTSHIFT_HTTP_PORT: ['http', 'port'],
  NIGHTSHIFT_HTTP_HOST: ['http', 'host'],
  NIGHTSHIFT_METRICS_ADDRESS: ['metrics', 'address'],
  NIGHTSHIFT_PRODUCTION_NAMESPACES: ['access', 'productionNamespaces'],
  NIGHTSHIFT_FAULT_MAX_DURATION: ['faults', 'maxDuration'],
  NIGHTSHIFT_FAULT_ALLOWED_NAMESPACES: ['faults', 'allowedNamespaces'],
  NIGHTSHIFT_FAULT_PROTECTED_PEERS: ['faults', 'protectedPeers'],
  NIGHTSHIFT_SLACK_MODE: ['slack', 'mode'],
  SLACK_BOT_TOKEN: ['slack', 'botToken'],
  SLACK_SIGNING_SECRET: ['slack', 'signingSecret'],
  SLACK_APP_TOKEN: ['slack', 'appToken'],
  NIGHTSHIFT_SLACK_SOCKET_MODE: ['slack', 'socketMode'],
  NIGHTSHIFT_SLACK_CHANNEL: ['slack', 'channel'],
  SLACK_API_URL: ['slack', 'apiUrl'],
  NIGHTSHIFT_STANDIN_PORT: ['slack', 'standin', 'port'],
  NIGHTSHIFT_STANDIN_HOST: ['slack', 'standin', 'host'],
  NIGHTSHIFT_STANDIN_PUBLIC_URL: ['slack', 'standin', 'publicUrl'],
  NIGHTSHIFT_STANDIN_TOKEN: ['slack', 'standin', 'token'],
  NIGHTSHIFT_STANDIN_SIGNING_SECRET: ['slack', 'standin', 'signingSecret'],
  ...ALERT_ENV,
};

/**
 * Every secret: given as its value, or as a file that holds it (the variable
 * with `_FILE`, or in the config file the key with `File`, e.g.
 * `slack.botTokenFile`), never both. The file is read once at start; a
 * trailing newline is dropped.
 */
export const SECRETS: Record<string, string[]> = {
  SLACK_BOT_TOKEN: ['slack', 'botToken'],
  SLACK_SIGNING_SECRET: ['slack', 'signingSecret'],
  SLACK_APP_TOKEN: ['slack', 'appToken'],
  NIGHTSHIFT_STANDIN_TOKEN: ['slack', 'standin', 'token'],
  NIGHTSHIFT_STANDIN_SIGNING_SECRET: ['slack', 'standin', 'signingSecret'],
  NIGHTSHIFT_ALERTS_TOKEN: ['alerts', 'bearerToken'],
  NIGHTSHIFT_ALERTS_USERNAME: ['alerts', 'username'],
  NIGHTSHIFT_ALERTS_PASSWORD: ['alerts', 'password'],
  TEMPORAL_API_KEY: ['temporal', 'apiKey'],
};

/** Config sections whose values are lists; their env values are comma-separated. */
const LIST_ENV = new Set([
  'NIGHTSHIFT_PRODUCTION_NAMESPACES',
  'NIGHTSHIFT_FAULT_ALLOWED_NAMESPACES',
  'NIGHTSHIFT_FAULT_PROTECTED_PEERS',
]);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  let raw: Record<string, unknown> = {};
  const file = env.NIGHTSHIFT_CONFIG;
  if (file) {
    try {
      const text = readFileSync(resolve(file), 'utf8');
      const parsed: unknown = parseYaml(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        raw = { ...parsed };
      } else if (parsed !== null && parsed !== undefined) {
        problems.push(`NIGHTSHIFT_CONFIG ${file}: expected a mapping at the top level`);
      }
    } catch (err) {
      problems.push(`NIGHTSHIFT_CONFIG ${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_PATHS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, LIST_ENV.has(name) ? splitList(value) : value);
    fromEnv.set(path.join('.'), name);
  }
  readSecretFiles(raw, env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    problems.push(
      ...formatIssues(result.error.issues).map((line) => {
        const key = line.slice(0, line.indexOf(':'));
        const envName = [...fromEnv.entries()].find(([path]) => key.startsWith(path))?.[1];
        return envName ? `${line} (from ${envName})` : line;
      }),
    );
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return result.data;
}

/** Replace each secret given as a file with the file's content; problems name the variable or key, never a value. */
function readSecretFiles(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const [name, path] of Object.entries(SECRETS)) {
    const parent = getPath(raw, path.slice(0, -1));
    const key = path[path.length - 1] as string;
    const fileKey = `${key}File`;
    const fromFile = parent?.[fileKey];
    if (parent && fileKey in parent) delete parent[fileKey];
    const file = env[`${name}_FILE`] || (typeof fromFile === 'string' ? fromFile : undefined);
    if (!file) continue;
    const where = env[`${name}_FILE`] ? `${name}_FILE` : `${path.join('.')}File`;
    if (getPath(raw, path.slice(0, -1))?.[key] !== undefined) {
      problems.push(`${where}: ${name} is set as well; give the secret one way`);
      continue;
    }
    try {
      const value = readFileSync(resolve(file), 'utf8').replace(/\r?\n$/, '');
      if (!value) problems.push(`${where} ${file} is empty`);
      else setPath(raw, path, value);
    } catch (err) {
      problems.push(`${where} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
}

function getPath(target: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  let node: unknown = target;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node)
    ? (node as Record<string, unknown>)
    : undefined;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
