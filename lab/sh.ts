// Running the system tools the lab drives (ip, tc, openssl): arguments as an
// array, never a shell, and an error that names the command and its stderr.
import { execFile } from 'node:child_process';

export class LabError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LabError';
  }
}

export interface RunOptions {
  input?: string;
  /** Exit codes other than 0 that are not failures. */
  okCodes?: number[];
  timeoutMs?: number;
}

export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(
      cmd,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? -1 : 0;
        if (!err || options.okCodes?.includes(code)) {
          done(stdout);
          return;
        }
        const detail = (stderr || err.message).trim().split('\n').slice(-5).join('\n');
        fail(new LabError(`${cmd} ${args.join(' ')} failed: ${detail}`, { cause: err }));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `ip` with the given arguments; `netns` runs it inside that namespace. */
export function ip(args: readonly string[], netns?: string): Promise<string> {
  return run('ip', netns ? ['-n', netns, ...args] : args);
}

/** Several `ip` commands in one process (`ip -batch -`), stopping at the first failure. */
export function ipBatch(lines: readonly string[], netns?: string): Promise<string> {
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  return run('ip', args, { input: `${lines.join('\n')}\n` });
}

/**
 * An empty clsact qdisc on `dev`, made with the link, before traffic flows.
 * Adding or deleting a qdisc on a live link deactivates the device for a
 * moment and drops packets in flight (a pod's first DNS answers, say);
 * filters attached later to an existing clsact drop nothing. The flow tap
 * and legacy-tc faults find it there and leave it; it goes with the link.
 */
export function clsact(dev: string, netns?: string): Promise<string> {
  return run('tc', [...(netns ? ['-n', netns] : []), 'qdisc', 'add', 'dev', dev, 'clsact']);
}

/** A sysctl inside a namespace, by writing /proc/sys through `ip netns exec`. */
export function sysctl(netns: string, key: string, value: string): Promise<string> {
  return run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `${key}=${value}`]);
}
