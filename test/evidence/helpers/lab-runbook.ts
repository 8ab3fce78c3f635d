// Running traffic-vanish against the lab from a test or a benchmark: a
// control worker of our own (its own task queue) with the lab's evidence
// clients, the Hubble stand-in (the lab's, or one started here), and a way to
// run the runbook up to its diagnosis and decline the fix.
import { spawn as spawnProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../../activities/index.ts';
import { evidenceDepsFromEnv } from '../../../activities/collectors/index.ts';
import { createFaultControlActivities, kubePodLister } from '../../../activities/faults/index.ts';
import { HUBBLE_RELAY_ADDRESS, hubbleStandinSpawn, labEvidenceEnv } from '../../../lab/hubble/index.ts';
import { loadKubeConfig } from '../../../lab/k8s.ts';
import { labPaths } from '../../../lab/paths.ts';
import { defaultCatalogue, formatProblem, resolveParams, type CompiledRunbook } from '../../../runbooks/index.ts';
import { validateRunbookText } from '../../../runbooks/loader.ts';
import { readFileSync } from 'node:fs';
import type { runbookWorkflow } from '../../../workflows/index.ts';
import { decideUpdate, statusQuery } from '../../../workflows/index.ts';
import { type RunStatus } from '../../../model/index.ts';
import { uniqueQueue, workflowBundle } from '../../helpers/temporal.ts';
import { freePort } from './ports.ts';

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

export async function labRunner(dataDir: string, connection: NativeConnection, client: Client): Promise<LabRunner> {
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
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...createActivities({
        evidence: evidenceDepsFromEnv({ ...env, NIGHTSHIFT_DATA_DIR: dataDir }),
        temporal: client,
      }),
      ...createFaultControlActivities({ pods: kubePodLister(loadKubeConfig(labPaths(dataDir).kubeconfig)) }),
    },
  });
  const running = worker.run();
  stops.unshift(async () => {
    worker.shutdown();
    await running;
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
        if (!['running', 'waiting'].includes(status.state)) return status;
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      for (const stop of stops) await stop();
    },
  };
}
