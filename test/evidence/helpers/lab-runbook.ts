// Running traffic-vanish against the lab from a test or a benchmark: a
// control worker of our own (its own task queue, its own process, as a
// cluster's is) with the lab's evidence clients, the Hubble stand-in (the
// lab's, or one started here), and a way to run the runbook up to its
// diagnosis and decline the fix.
import { spawn as spawnProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { HUBBLE_RELAY_ADDRESS, hubbleStandinSpawn, labEvidenceEnv } from '../../../lab/hubble/index.ts';
import { defaultCatalogue, formatProblem, resolveParams, type CompiledRunbook } from '../../../runbooks/index.ts';
import { validateRunbookText } from '../../../runbooks/loader.ts';
import { readFileSync } from 'node:fs';
import type { runbookWorkflow } from '../../../workflows/index.ts';
import { decideUpdate, statusQuery } from '../../../workflows/index.ts';
import { type RunStatus } from '../../../model/index.ts';
import { uniqueQueue } from '../../helpers/temporal.ts';
import { freePort } from './ports.ts';

const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url));

export function trafficVanish(only?: string[]): CompiledRunbook {
  const result = validateRunbookText(
    readFileSync(new URL('../../../runbooks/traffic-vanish.yaml', import.meta.url), 'utf8'),
    { catalogue: defaultCatalogue },
  );
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  return only ? { ...result.runbook, steps: result.runbook.steps.filter((s) => only.includes(s.id)) } : result.runbook;
}

const listening = (address: string) =>
  new Promise<boolean>((resolve) => {
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

export interface LabRunner {
  /** This runner's task queue: its worker also runs fault workflows (their control activity included). */
  taskQueue: string;
  /** Run to the end; `choose` picks the decision (an option id for an action, default "deny"). */
  run(
    params?: Record<string, string>,
    runbook?: CompiledRunbook,
    choose?: (options: { id: string; action?: string }[]) => string,
  ): Promise<RunStatus>;
  stop(): Promise<void>;
}

/** `temporal` is where the runner's worker connects: the server and namespace `client` uses. */
export async function labRunner(
  dataDir: string,
  temporal: { address: string; namespace: string },
  client: Client,
): Promise<LabRunner> {
  const env = labEvidenceEnv(dataDir);
  const stops: (() => Promise<void>)[] = [];
  if (!(await listening(HUBBLE_RELAY_ADDRESS))) {
    // The lab does not run the stand-in (yet): run it here, as its own process like in the lab.
    const address = `127.0.0.1:${await freePort()}`;
    const spawn = hubbleStandinSpawn(dataDir);
    const child = spawnProcess(spawn.command, spawn.args, {
      env: { ...process.env, ...spawn.env, NIGHTSHIFT_HUBBLE_LISTEN: address, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 60_000;
    while (!(await listening(address))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the Hubble stand-in did not start (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    env.NIGHTSHIFT_HUBBLE_RELAY = address;
    stops.push(
      () =>
        new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    );
  }
  const taskQueue = uniqueQueue('lab-traffic-vanish');
  // Not inside the test process: there the collectors would share jest's
  // event loop and heap (its garbage collection; a fork of that heap for
  // every helper they start), which no worker in a cluster does.
  const worker = spawnProcess(
    process.execPath,
    [WORKER_SCRIPT, temporal.address, temporal.namespace, taskQueue, dataDir],
    {
      env: { ...process.env, ...env, NIGHTSHIFT_DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  stops.unshift(async () => {
    worker.kill('SIGTERM');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    void exited.then(() =>
      reject(new Error(`the lab runner's worker exited (${worker.exitCode ?? worker.signalCode}) before it was ready`)),
    );
  });
  return {
    taskQueue,
    async run(given = {}, runbook = trafficVanish(), choose = () => 'deny') {
      const params = resolveParams(runbook.parameters, { namespace: 'production', ...given });
      if (!params.ok) throw new Error(params.problems.join('; '));
      const handle = await client.workflow.start<typeof runbookWorkflow>('runbookWorkflow', {
        taskQueue,
        workflowId: `lab-traffic-vanish-${Math.random().toString(16).slice(2)}`,
        args: [
          {
            runbook,
            params: params.params,
            requestedBy: { id: 'U-test', name: 'scenario test', via: 'cli' },
            productionNamespaces: ['production'],
          },
        ],
      });
      for (;;) {
        const status = await handle.query(statusQuery);
        if (status.pendingDecision) {
          const option = choose(status.pendingDecision.options);
          await handle.executeUpdate(decideUpdate, {
            // The on-call approver, not the run's starter: four eyes lets them choose a change in production.
            args: [{ option, by: { id: 'U-responder', name: 'responder', roles: ['responder', 'approver'] } }],
          });
        }
        // The report is the run's last durable step, written after its state is final: wait for the workflow to close.
        if (!['running', 'waiting'].includes(status.state)) {
          await handle.result().catch(() => undefined);
          return await handle.query(statusQuery);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      for (const stop of stops) await stop();
    },
  };
}
