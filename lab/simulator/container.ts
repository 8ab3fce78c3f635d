// One container of a pod as a process in the pod's network namespace:
// started through its launch argv (`ip netns exec` and the mount script,
// mount-script.ts), restarted with back-off when it exits, stopped with
// SIGTERM and then SIGKILL after the grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { procStat } from '../procs.ts';

export interface Termination {
  exitCode: number;
  signal?: string;
  reason: string;
  startedAt: Date;
  finishedAt: Date;
}

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: Date }
  | { kind: 'terminated'; termination: Termination };

export interface ContainerSpec {
  name: string;
  /** The whole launch: entering the namespaces, the mounts, then the container's process. */
  argv: string[];
  env: Record<string, string>;
  log: string;
  /** Mount points to make on the host before each start (in the pod's dirs and volumes). */
  create?: Array<{ path: string; kind: 'dir' | 'file' }>;
  /** Files the launch reads (in the pod's dir), written before each start. */
  files?: Array<{ path: string; content: string }>;
  /**
   * The launch made again for a restart (the machine's dirs its mounts mimic may have changed since);
   * should it fail, the last one is used.
   */
  relaunch?: () => Launch;
}

export type Launch = Pick<ContainerSpec, 'argv' | 'env' | 'create' | 'files'>;

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 20_000;
/** A container that ran this long has its back-off reset. */
const BACKOFF_RESET_MS = 60_000;

export class Container {
  readonly spec: ContainerSpec;
  state: ContainerState = { kind: 'waiting', reason: 'ContainerCreating' };
  restartCount = 0;
  lastTermination: Termination | undefined;
  pid: number | undefined;
  startTime: number | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = BACKOFF_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onChange: () => void;

  constructor(spec: ContainerSpec, onChange: () => void) {
    this.spec = spec;
    this.onChange = onChange;
  }

  private launch(): Launch {
    if (this.restartCount === 0 || !this.spec.relaunch) return this.spec;
    try {
      return this.spec.relaunch();
    } catch {
      return this.spec;
    }
  }

  start(): void {
    if (this.stopping) return;
    const launch = this.launch();
    mkdirSync(dirname(this.spec.log), { recursive: true });
    for (const { path, kind } of launch.create ?? []) {
      if (existsSync(path)) continue;
      mkdirSync(kind === 'dir' ? path : dirname(path), { recursive: true });
      if (kind === 'file') closeSync(openSync(path, 'a'));
    }
    for (const { path, content } of launch.files ?? []) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    const fd = openSync(this.spec.log, 'a');
    const startedAt = new Date();
    const [command = 'false', ...args] = launch.argv;
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: launch.env,
    });
    closeSync(fd);
    this.child = child;
    child.once('spawn', () => {
      this.pid = child.pid;
      this.startTime = child.pid ? procStat(child.pid)?.startTime : undefined;
      this.state = { kind: 'running', startedAt };
      this.onChange();
    });
    child.once('error', (err) => {
      this.state = { kind: 'waiting', reason: 'RunContainerError', message: err.message };
      this.onChange();
    });
    child.once('exit', (code, signal) => this.exited(startedAt, code, signal));
  }

  private exited(startedAt: Date, code: number | null, signal: NodeJS.Signals | null): void {
    this.child = undefined;
    this.pid = undefined;
    this.startTime = undefined;
    const finishedAt = new Date();
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    const termination: Termination = {
      exitCode,
      ...(signal ? { signal } : {}),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt,
    };
    this.lastTermination = termination;
    if (this.stopping) {
      this.state = { kind: 'terminated', termination };
      this.onChange();
      return;
    }
    if (finishedAt.getTime() - startedAt.getTime() > BACKOFF_RESET_MS) this.backoffMs = BACKOFF_MIN_MS;
    this.restartCount += 1;
    this.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${this.backoffMs} ms restarting failed container`,
    };
    this.onChange();
    this.restartTimer = setTimeout(() => this.start(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    signal(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signal(child.pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // gone already
  }
}
