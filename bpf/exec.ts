// Running ip, tc and the nsfault helper, in our own network namespace or in
// a named one. Node has no setns, so a named namespace means nsenter --net
// (never `ip netns exec`, which remounts /sys and hides bpffs).
import { execFile } from 'node:child_process';
import { z } from 'zod';

export interface RunOptions {
  /** Name under /run/netns (or a path netnsPath accepts); undefined runs in the caller's namespace. */
  netns?: string;
  input?: string;
  timeoutMs?: number;
}

export class CommandError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(command: string, code: number | null, stdout: string, stderr: string) {
    super(`${command} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
    this.name = 'CommandError';
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** The runtime's namespace files: /run/netns/<name>, /var/run/netns/<name>, /proc/<pid>/ns/net. */
const NETNS_FILE = /^(?:\/(?:var\/)?run\/netns\/[A-Za-z0-9][A-Za-z0-9_.-]{0,40}|\/proc\/[1-9]\d{0,9}\/ns\/net)$/;
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export class NetnsRefused extends Error {
  constructor(ref: string) {
    super(
      `network namespace ${JSON.stringify(ref)} is refused: only a name under /run/netns or a path under ` +
        '/run/netns, /var/run/netns or /proc/<pid>/ns/net',
    );
    this.name = 'NetnsRefused';
  }
}

/** The file of a network namespace given by name (under /run/netns) or by a path in the runtime's directories. */
export function netnsPath(ref: string): string {
  if (NETNS_NAME.test(ref)) return `/run/netns/${ref}`;
  if (NETNS_FILE.test(ref)) return ref;
  throw new NetnsRefused(ref);
}

export function inNetns(netns: string | undefined, command: string, args: string[]): [string, string[]] {
  return netns ? ['nsenter', [`--net=${netnsPath(netns)}`, '--', command, ...args]] : [command, args];
}

export function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] = inNetns(options.netns, command, args);
  return new Promise((done, fail) => {
    const child = execFile(
      file,
      argv,
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          fail(new CommandError([file, ...argv].join(' '), code, stdout, stderr));
        } else {
          done({ stdout, stderr });
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `ip -j` / `tc -j` output, checked against a schema; an empty answer is an empty list. */
export async function runJson<T>(
  schema: z.ZodType<T>,
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<T[]> {
  const { stdout } = await run(command, args, options);
  const text = stdout.trim();
  return text ? z.array(schema).parse(JSON.parse(text)) : [];
}
