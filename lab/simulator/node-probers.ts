// Readiness probe attempts run from each pod's own node, as a kubelet runs
// them: one long-lived helper per lab node inside the node's network
// namespace (probe-helper.ts), so a fault on a node's uplink does not fail
// the probes of its pods, and a cut into a pod does. A helper that dies is
// started again on the next attempt.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LabNode } from '../topology.ts';
import type { ProbeAttempt, ProbeResult } from './readiness.ts';

const HELPER = fileURLToPath(new URL('./probe-helper.ts', import.meta.url));
const answerSchema = z.object({ id: z.number(), ok: z.boolean(), detail: z.string().optional() });

class Prober {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (result: ProbeResult) => void>();
  private nextId = 1;
  alive = true;

  constructor(node: LabNode, log: Logger) {
    this.child = spawn('ip', ['netns', 'exec', node.netns, process.execPath, '--no-warnings', HELPER], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return;
      }
      const answer = answerSchema.safeParse(raw);
      if (!answer.success) return;
      const { id, ...result } = answer.data;
      this.waiting.get(id)?.(result);
      this.waiting.delete(id);
    });
    this.child.stderr?.on('data', (chunk: Buffer) =>
      log.warn({ node: node.name, stderr: chunk.toString().trim() }, 'node prober'),
    );
    const end = (why: string) => {
      this.alive = false;
      for (const done of this.waiting.values()) done({ ok: false, detail: `the prober on ${node.name} ${why}` });
      this.waiting.clear();
    };
    this.child.on('exit', (code, signal) => end(`exited (${signal ?? code})`));
    this.child.on('error', (err) => end(`could not start: ${err.message}`));
    this.child.stdin?.on('error', () => undefined);
  }

  run(attempt: ProbeAttempt): Promise<ProbeResult> {
    const id = this.nextId++;
    return new Promise((done) => {
      // The attempt carries its own timeout; past it and a margin the helper is not answering.
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        done({ ok: false, detail: `the node prober did not answer within ${attempt.timeoutMs + 2000} ms` });
      }, attempt.timeoutMs + 2000);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        done(result);
      });
      this.child.stdin?.write(`${JSON.stringify({ id, attempt })}\n`);
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

export class NodeProbers {
  private readonly probers = new Map<string, Prober>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  /** One attempt from `node`'s network namespace. */
  run(node: LabNode, attempt: ProbeAttempt): Promise<ProbeResult> {
    let prober = this.probers.get(node.name);
    if (!prober?.alive) {
      prober = new Prober(node, this.log);
      this.probers.set(node.name, prober);
    }
    return prober.run(attempt);
  }

  stop(): void {
    for (const prober of this.probers.values()) prober.stop();
    this.probers.clear();
  }
}
