// The crash matrix: SIGKILL one process — control worker, node agent,
// gateway, Temporal dev server — at one step of a traffic-vanish-like run or
// of a fault's life, start it again, finish the run as a person would (click
// the decision in Slack), and count what went wrong: runs that never ended
// (lost), side effects that happened twice for one run (two restarts, two
// route patches, two thread parents or decision messages in Slack), and
// kernel objects left behind (pinned maps, programs, tc filters, qdiscs).
// Everything is real: the dev server on a SQLite file, the real workflows,
// the gateway and the Slack stand-in, `nightshift agent` with eBPF in the
// kernel of test network namespaces. Used by test/crash/matrix.test.ts (a
// reduced matrix) and bench/crash-matrix.ts (all of it).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../lab/index.ts';
import type { RunStatus } from '../../model/index.ts';
import { startDevServer, type DevServer } from '../../worker/devserver.ts';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';
import {
  faultStatusQuery,
  statusQuery,
  type FaultInput,
  type FaultStatus,
  type faultWorkflow,
  type runbookWorkflow,
} from '../../workflows/index.ts';
import { startAgentProcess, type AgentProcess } from '../faults/helpers/agent-process.ts';
import { leftovers } from '../faults/helpers/clean.ts';
import { createTopology, IFACE, type Topology } from '../faults/helpers/netns.ts';
import { LIMITS, nodeName } from '../faults/helpers/workers.ts';
import { kill, startScript, type Child } from '../helpers/process.ts';
import { uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { readEffects, readLines } from './activities.ts';
import { crashRunbook, type CrashStep } from './runbook.ts';

export const PROCESSES = ['worker', 'agent', 'gateway', 'temporal'] as const;
export type Proc = (typeof PROCESSES)[number];
export const FAULT_STEPS = ['injecting', 'holding', 'reverting'] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];

export type Cell = { proc: Proc; life: 'run'; step: CrashStep } | { proc: Proc; life: 'fault'; step: FaultStep };

export interface CellResult {
  cell: string;
  /** What the run or fault was doing when the kill landed. */
  observed: string;
  lost: number;
  duplicated: number;
  leftBehind: number;
  notes: string[];
  /** From the kill until the run or fault ended. */
  recoveredMs: number;
}

export const cellName = (c: Cell) => `${c.proc} @ ${c.life === 'run' ? 'run' : 'fault'}:${c.step}`;

const CHANNEL = 'C0INCIDENTS';
const fixture = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const GATEWAY = fixture('../slack/fixtures/gateway-process.ts');
const WORKER = fixture('./fixtures/worker.ts');

/**
 * A call to Temporal bounded by a gRPC deadline `ms` from now, so it has ended (answered, failed or past its
 * deadline) when this returns: a call left running retries on its own timer, and a retry after the
 * connection is closed throws "Channel has been shut down" into whichever test runs then.
 */
async function ask<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T | undefined> {
  return client.connection.withDeadline(Date.now() + ms, call).catch(() => undefined);
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class CrashBed {
  readonly dir = mkdtempSync(join(tmpdir(), 'nightshift-crash-'));
  readonly pinRoot = `/sys/fs/bpf/nightshift-crash-${randomBytes(3).toString('hex')}`;
  readonly node = nodeName();
  readonly taskQueue = uniqueQueue('crash');
  private readonly token = `xoxb-crash-${randomBytes(6).toString('hex')}`;
  private readonly secret = randomBytes(16).toString('hex');
  private port = 0;
  private gatewayPort = 0;
  private bundleFile = '';
  private server: DevServer | undefined;
  private standin: Standin | undefined;
  private worker: Child | undefined;
  private gateway: Child | undefined;
  private agent: AgentProcess | undefined;
  topology: Topology | undefined;

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.gatewayPort = await freePort();
    this.bundleFile = join(this.dir, 'workflows.js');
    writeFileSync(this.bundleFile, (await workflowBundle()).code);
    // The agent helper reads the test server's address from here.
    process.env.NIGHTSHIFT_TEST_TEMPORAL = this.address;
    this.standin = await startStandin({
      port: 0,
      token: this.token,
      signingSecret: this.secret,
      gatewayUrl: `http://127.0.0.1:${this.gatewayPort}/slack/events`,
    });
    try {
      this.topology = await createTopology();
      for (const proc of ['temporal', 'worker', 'agent', 'gateway'] as const) await this.up(proc);
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this;
  }

  private async up(proc: Proc): Promise<void> {
    const standin = this.standin;
    if (!standin) throw new Error('the crash bed is not started');
    if (proc === 'temporal') {
      this.server = await startDevServer({ dbFile: join(this.dir, 'temporal.db'), port: this.port, headless: true });
    } else if (proc === 'worker') {
      this.worker = await startScript(WORKER, [
        this.address,
        this.taskQueue,
        this.bundleFile,
        standin.apiUrl,
        this.token,
        join(this.dir, 'effects'),
      ]);
    } else if (proc === 'gateway') {
      this.gateway = await startScript(GATEWAY, [
        this.address,
        this.taskQueue,
        standin.apiUrl,
        this.token,
        this.secret,
        String(this.gatewayPort),
      ]);
    } else {
      const topology = this.topology;
      if (!topology) throw new Error('no topology');
      this.agent = await startAgentProcess(this.node, topology.server, {
        TEMPORAL_ADDRESS: this.address,
        NIGHTSHIFT_PIN_ROOT: this.pinRoot,
      });
    }
  }

  /** SIGKILL, as the kernel's OOM killer or a node failure would. */
  async kill(proc: Proc): Promise<void> {
    const child = {
      temporal: this.server?.process,
      worker: this.worker?.process,
      gateway: this.gateway?.process,
      agent: this.agent,
    }[proc];
    if (child) await kill(child, 'SIGKILL');
  }

  private async client(): Promise<Client> {
    return new Client({ connection: await Connection.connect({ address: this.address }) });
  }

  private holdFile(step: string): string {
    return join(this.dir, 'effects', `hold-${step}`);
  }

  async run(cell: Cell): Promise<CellResult> {
    return cell.life === 'run' ? this.runCell(cell.proc, cell.step) : this.faultCell(cell.proc, cell.step);
  }

  private async runCell(proc: Proc, step: CrashStep): Promise<CellResult> {
    const standin = this.standin;
    if (!standin) throw new Error('the crash bed is not started');
    const runId = `crash-${proc}-${step}-${randomBytes(3).toString('hex')}`;
    const notes: string[] = [];
    const hold = this.holdFile(step);
    if (step !== 'choose') writeFileSync(hold, '');
    let client = await this.client();
    await client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
      taskQueue: this.taskQueue,
      workflowId: runId,
      args: [
        {
          runbook: crashRunbook,
          params: {},
          requestedBy: { id: 'U0ALICE', name: 'alice', via: 'slack' },
          productionNamespaces: ['production'],
          notify: { channel: CHANNEL },
        },
      ],
    });
    const decisionKey = `${runId}#decision:${'choose'}`;
    const decisionMessage = () => standin.workspace.messages.find((m) => m.metadata?.event_payload.key === decisionKey);
    const reached = async () =>
      step === 'choose'
        ? decisionMessage() !== undefined
        : readLines(join(this.dir, 'effects'), 'entered.log').some((l) => l.startsWith(`${runId}/${step}`));
    let clicked = false;
    const click = async () => {
      const message = decisionMessage();
      if (!message || clicked) return;
      const answer = await standin.interactor
        .click({ user: 'U0BOB', channel: CHANNEL, ts: message.ts, actionId: 'nightshift:decide:restart-cart' })
        .catch(() => undefined);
      clicked = answer?.status === 200;
    };
    // Until the step is reached, a person clicks as soon as the decision is there.
    const deadline = Date.now() + 120_000;
    while (!(await reached())) {
      if (Date.now() > deadline) throw new Error(`${runId} never reached ${step}`);
      if (step !== 'choose') await click();
      await sleep(200);
    }
    await client.connection.close();
    await this.kill(proc);
    const killedAt = Date.now();
    await this.up(proc);
    if (existsSync(hold)) unlinkSync(hold);
    client = await this.client();
    const handle = client.workflow.getHandle<typeof runbookWorkflow>(runId);
    let final: RunStatus | undefined;
    const end = Date.now() + 240_000;
    const stopWaiting = new AbortController();
    // Made under a signal, so that aborting it ends the call before its connection closes.
    const result = client.connection
      .withAbortSignal(stopWaiting.signal, () => handle.result())
      .then(
        (status) => (final = status),
        (err: unknown) => notes.push(`run failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    while (final === undefined && notes.length === 0 && Date.now() < end) {
      const status = await ask(client, 5000, () => handle.query(statusQuery));
      // The person in Slack clicks again if the first click did not land (the gateway or the worker was down).
      if (status?.pendingDecision && status.decisions.length === 0) {
        clicked = false;
        await click();
      }
      await within(result, 1000);
    }
    const recoveredMs = Date.now() - killedAt;
    stopWaiting.abort();
    await result;
    await client.connection.close();
    const lost = final?.state === 'completed' ? 0 : 1;
    if (lost) notes.push(`ended ${final?.state ?? 'never'}`);
    const effects = readEffects(join(this.dir, 'effects')).filter((e) => e.run === runId);
    const restarts = effects.filter((e) => e.kind === 'restart').length;
    const patches = effects.filter((e) => e.kind === 'route-patch').length;
    const parents = standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === runId).length;
    const decisions = standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === decisionKey).length;
    if (restarts !== 1 || patches !== 1 || parents !== 1 || decisions !== 1)
      notes.push(
        `restarts ${restarts}, route patches ${patches}, thread parents ${parents}, decision messages ${decisions}`,
      );
    const duplicated = [restarts, patches, parents, decisions].reduce((n, count) => n + Math.max(0, count - 1), 0);
    return {
      cell: cellName({ proc, life: 'run', step }),
      observed: step,
      lost,
      duplicated,
      leftBehind: await this.leftBehind([]),
      notes,
      recoveredMs,
    };
  }

  private async faultCell(proc: Proc, step: FaultStep): Promise<CellResult> {
    const id = `crash-f-${proc}-${step}-${randomBytes(3).toString('hex')}`;
    const notes: string[] = [];
    let client = await this.client();
    const input: FaultInput = {
      spec: {
        target: { node: this.node, interface: IFACE },
        kind: 'drop',
        match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
        magnitude: { percent: 100 },
        // An injection interrupted by a crash has the time to finish after the restart (a Temporal dev server
        // restarted on a busy machine took long enough that a 15 s fault was rightly refused as past its
        // deadline); once it holds, the cell aborts it instead of waiting it out.
        duration: step === 'injecting' ? '90s' : '15s',
        verdictAfter: '500ms',
      },
      limits: LIMITS,
      requestedBy: { id: 'crash-matrix', via: 'test' },
    };
    const handle = await client.workflow.start<typeof faultWorkflow>('faultWorkflow', {
      taskQueue: this.taskQueue,
      workflowId: id,
      args: [input],
    });
    const want: Record<FaultStep, FaultStatus['state'][]> = {
      injecting: ['injecting', 'holding'],
      holding: ['holding'],
      reverting: ['holding'],
    };
    let observed = 'starting';
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await ask(client, 5000, () => handle.query(faultStatusQuery));
      if (status) observed = status.state;
      if (status && want[step].includes(status.state)) break;
      if (Date.now() > deadline) throw new Error(`${id} never reached ${step} (last ${observed})`);
      await sleep(step === 'injecting' ? 20 : 200);
    }
    if (step === 'reverting') {
      await handle.signal('abort', { reason: 'crash matrix' });
      observed = 'reverting';
    }
    await client.connection.close();
    await this.kill(proc);
    const killedAt = Date.now();
    await this.up(proc);
    client = await this.client();
    const after = client.workflow.getHandle<typeof faultWorkflow>(id);
    if (step === 'injecting') {
      const until = Date.now() + 120_000;
      for (;;) {
        const status = await ask(client, 5000, () => after.query(faultStatusQuery));
        if (status && status.state !== 'starting' && status.state !== 'injecting') break;
        if (Date.now() > until) break; // the result below says what became of it
        await sleep(200);
      }
      await after.signal('abort', { reason: 'crash matrix' }).catch(() => undefined); // ended already: nothing to do
    }
    let error = '';
    const final = await ask(client, 240_000, () =>
      after.result().catch(async (err: unknown) => {
        const cause = err instanceof Error ? err.cause : undefined;
        error = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
        return after.query(faultStatusQuery); // a failed fault still answers with what it did
      }),
    );
    const recoveredMs = Date.now() - killedAt;
    await client.connection.close();
    const ok = final !== undefined && ['completed', 'aborted'].includes(final.state) && final.revertErrors.length === 0;
    if (!ok) {
      const reverts = final ? `, reverts found ${final.reverts.map((r) => r.found).join('/') || 'none'}` : '';
      notes.push(`ended ${final?.state ?? 'never'}${error ? `: ${error.split('\n')[0]}` : ''}${reverts}`);
    }
    return {
      cell: cellName({ proc, life: 'fault', step }),
      observed,
      lost: ok ? 0 : 1,
      duplicated: 0,
      leftBehind: await this.leftBehind([id], notes),
      notes,
      recoveredMs,
    };
  }

  /** Programs, tc filters, qdiscs on the test interfaces, and pins under this bed's pin root. */
  private async leftBehind(ids: string[], notes: string[] = []): Promise<number> {
    const topology = this.topology;
    if (!topology) return 0;
    const found = await leftovers(topology, []);
    const pins = existsSync(this.pinRoot)
      ? readdirSync(this.pinRoot).filter((p) => ids.length === 0 || ids.includes(p))
      : [];
    const all = [...found.programs, ...found.filters, ...found.qdiscs, ...pins];
    if (all.length) notes.push(`left behind: ${all.join(', ')}`);
    return all.length;
  }

  async stop(): Promise<void> {
    for (const proc of ['gateway', 'worker', 'agent'] as const) await this.kill(proc).catch(() => undefined);
    await this.server?.stop().catch(() => undefined);
    await this.standin?.stop().catch(() => undefined);
    await this.topology?.destroy();
    rmSync(this.pinRoot, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The whole matrix: every process at every step of the run and of the fault. */
export function allCells(): Cell[] {
  const runSteps: CrashStep[] = ['gather', 'choose', 'fix', 'shift', 'check'];
  return PROCESSES.flatMap((proc): Cell[] => [
    ...runSteps.map((step) => ({ proc, life: 'run' as const, step })),
    ...FAULT_STEPS.map((step) => ({ proc, life: 'fault' as const, step })),
  ]);
}

/** The matrix as a Markdown table, with its totals. */
export function table(results: CellResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.cell} | ${r.observed} | ${r.lost} | ${r.duplicated} | ${r.leftBehind} | ${(r.recoveredMs / 1000).toFixed(1)} s | ${r.notes.join('; ')} |`,
  );
  const sum = (k: 'lost' | 'duplicated' | 'leftBehind') => results.reduce((n, r) => n + r[k], 0);
  return [
    '| cell (killed @ step) | state at the kill | lost | duplicated | left behind | kill → end | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| **${results.length} cells** | | **${sum('lost')}** | **${sum('duplicated')}** | **${sum('leftBehind')}** | | |`,
  ].join('\n');
}
