// Measuring from inside a network namespace: a helper is started there
// under `nsenter --net=<path>` (a /run/netns entry or a /proc/<pid>/ns/net
// link) with this process's own Node, entering nothing but the network
// namespace, and kept for later measurements from the same namespace until
// it has been idle a while: starting Node is most of what a measurement
// costs. A helper is used again only while its path still names the same
// namespace (inode). From this process's own namespace the measurement runs
// in-process. What a helper answers is checked with zod.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DnsLookupPlan, DnsRun, TcpSample } from '../../model/index.ts';
import { helperEnv } from './cache.ts';
import { measureRuns } from './loopback.ts';
import { dnsOutputSchema, tcpOutputSchema, type Task } from './task.ts';
import { sampleTcp, type TcpPlan } from './tcp.ts';

const HELPER = fileURLToPath(new URL('./helper.ts', import.meta.url));
/** Time a helper keeps after a task's end to answer, before the task counts as hung. */
const ANSWER_GRACE_MS = 1500;
/** How long a started helper may take to say it is ready (Node starting on a busy node). */
const START_MS = 30_000;

export class MeasureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeasureError';
  }
}

const answerSchema = z.union([
  z.object({ id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.string() }),
]);

interface Waiting {
  resolve(result: unknown): void;
  reject(err: Error): void;
}

class Helper {
  readonly inode: number;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stderr = '';
  private ended: string | undefined;
  readonly ready: Promise<void>;

  constructor(path: string, inode: number, idleMs: number) {
    this.inode = inode;
    this.child = spawn('nsenter', [`--net=${path}`, process.execPath, '--no-warnings', HELPER, String(idleMs)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: helperEnv(),
    });
    // A helper never keeps its agent alive: it ends on its own when the agent's end of stdin closes.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    let started: Waiting | undefined;
    this.ready = new Promise<void>((resolve, reject) => (started = { resolve: () => resolve(), reject }));
    this.ready.catch(() => undefined); // whoever waits for it hears why; nobody waiting is fine too
    this.waiting.set(0, started as Waiting);
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const answer = answerSchema.safeParse(JSON.parse(line));
      if (!answer.success) return;
      const waiter = this.waiting.get(answer.data.id);
      this.waiting.delete(answer.data.id);
      if (answer.data.ok) waiter?.resolve(answer.data.result);
      else waiter?.reject(new MeasureError(answer.data.error));
    });
    const end = (why: string) => {
      this.ended ??= why;
      for (const waiter of this.waiting.values())
        waiter.reject(new MeasureError(`the helper in ${path} ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
      this.waiting.clear();
    };
    this.child.on('exit', (code, signal) => end(`exited (${signal ?? code})`));
    this.child.on('error', (err) => end(`could not start: ${err.message}`));
    this.child.stdin?.on('error', () => undefined);
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  send(task: Task, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new MeasureError(`no answer within ${timeoutMs} ms`));
        void this.stop(); // a helper that overran its task is not trusted with another
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin?.write(`${JSON.stringify({ id, task })}\n`);
    });
  }

  /** Kills the helper; settles when it has exited. */
  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill('SIGKILL');
    return exited;
  }
}

/** The helpers of one agent, one per namespace it has measured from lately. */
export class Measurers {
  private readonly helpers = new Map<string, Helper>();
  private readonly idleMs: number;

  constructor(idleMs = 120_000) {
    this.idleMs = idleMs;
  }

  async run(path: string, task: Task, endBy: number, where: string): Promise<unknown> {
    const inode = (await stat(path).catch(() => undefined))?.ino;
    if (inode === undefined) throw new MeasureError(`measuring from ${where}: ${path} is gone`);
    let helper = this.helpers.get(path);
    if (!helper?.alive || helper.inode !== inode) {
      void helper?.stop();
      helper = new Helper(path, inode, this.idleMs);
      this.helpers.set(path, helper);
    }
    try {
      await within(helper.ready, START_MS, 'to start');
      return await helper.send(task, Math.max(1000, endBy - Date.now() + ANSWER_GRACE_MS));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new MeasureError(`measuring from ${where} (${path}) failed: ${message}`);
    }
  }

  /** Stops every helper (the agent is stopping); settles when they have exited. */
  async close(): Promise<void> {
    const helpers = [...this.helpers.values()];
    this.helpers.clear();
    await Promise.all(helpers.map((h) => h.stop()));
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new MeasureError(`the helper did not come up ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Lookup runs from the namespace at `path`, or from this process's own when it is undefined. */
export async function dnsIn(
  measurers: Measurers,
  path: string | undefined,
  runs: { server: string; plan: DnsLookupPlan }[],
  where: string,
): Promise<DnsRun[]> {
  if (path === undefined) return measureRuns(runs);
  const endBy = Math.max(...runs.map((r) => r.plan.endBy));
  return dnsOutputSchema.parse(await measurers.run(path, { kind: 'dns', runs }, endBy, where)).runs;
}

/** Connect samples from the namespace at `path`, or from this process's own when it is undefined. */
export async function tcpIn(
  measurers: Measurers,
  path: string | undefined,
  plan: TcpPlan & { endBy: number },
  where: string,
): Promise<TcpSample[]> {
  if (path === undefined) return sampleTcp(plan);
  return tcpOutputSchema.parse(await measurers.run(path, { kind: 'tcp', plan }, plan.endBy, where)).samples;
}
