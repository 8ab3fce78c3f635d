// The kernel-side expiry: a fault whose agent is SIGKILLed and whose
// workflow is gone still stops at its deadline, with no process alive, and
// the next agent to start removes the stale attachment. Nothing here is
// timed: the kernel's own view (expired or not, and what it passed because
// of the expiry) says what happened.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createFaultControlActivities } from '../../activities/faults/index.ts';
import { list, PIN_ROOT } from '../../bpf/index.ts';
import { faultStatusQuery } from '../../workflows/index.ts';
import { kill } from '../helpers/process.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { startAgentProcess } from './helpers/agent-process.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

describe('kernel-side expiry', () => {
  let topology: Topology;
  let traffic: Traffic;
  let harness: Harness;

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    harness = await startHarness({ control: false });
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  const startAgent = (node: string) => startAgentProcess(node, topology.server);

  test('SIGKILL the agent: traffic flows again once the kernel deadline passes; the next agent removes the leftover', async () => {
    const node = nodeName();
    const agent = await startAgent(node);
    const control = await Worker.create({
      connection: harness.env.nativeConnection,
      taskQueue: harness.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createFaultControlActivities(),
    });
    const id = faultId('expiry');
    const { deadline } = await control.runUntil(async () => {
      const handle = await harness.start(
        {
          target: { node, interface: IFACE },
          kind: 'drop',
          match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
          magnitude: { percent: 100 },
          duration: '8s',
          verdictAfter: '200ms',
        },
        { id },
      );
      const status = await until(
        () => handle.query(faultStatusQuery),
        (s) => s.state === 'holding',
        'the fault to hold',
      );
      // Every process that set the fault up goes away: the agent dies, the workflow is terminated.
      await kill(agent);
      await handle.terminate('the control plane is gone too');
      return status;
    });
    expect(deadline).toBeDefined();
    // Blocked, and the kernel (its own clock, its own deadline) says the fault has not expired yet.
    expect((await traffic.tcp(ADDR.server, 8080, 200)).ok).toBe(false);
    expect((await list(id))[0]?.expired).toBe(false);

    // No process of nightshift is left to end it. Once the kernel's clock passes the deadline...
    await until(
      () => list(id),
      (a) => a[0]?.expired === true,
      'the kernel deadline to pass',
    );
    // ...traffic flows, and the program counts what it passed because of the expiry.
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect((await list(id))[0]?.counters.expired).toBeGreaterThan(0);
    // How long after the deadline traffic flows again is a benchmark's business (bench/crash-matrix.ts).
    expect(existsSync(join(PIN_ROOT, id))).toBe(true); // stale, but harmless: the kernel passes everything

    const next = await startAgent(node);
    try {
      expect(existsSync(join(PIN_ROOT, id))).toBe(false);
      expect(await leftovers(topology, [id])).toEqual(CLEAN);
    } finally {
      await kill(next, 'SIGTERM');
    }
  });
});
