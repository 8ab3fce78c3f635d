// The control worker is SIGKILLed while a fault holds. The fault stays in
// force (it lives in the kernel, its lifetime in Temporal); a new worker
// picks the workflow up and reverts it on time.
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createFaultControlActivities } from '../../activities/faults/index.ts';
import { faultStatusQuery } from '../../workflows/index.ts';
import { kill, startScript } from '../helpers/process.ts';
import { temporalAddress, workflowBundle } from '../helpers/temporal.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

const controlScript = fileURLToPath(new URL('./fixtures/control-worker.ts', import.meta.url));

describe('control worker crash mid-fault', () => {
  let topology: Topology;
  let traffic: Traffic;
  let harness: Harness;
  let node: string;

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    node = nodeName();
    harness = await startHarness({ control: false, agents: [{ node, nodeNetns: topology.server }] });
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  test('SIGKILL the control worker during the hold: a new worker finishes the workflow and reverts it', async () => {
    const first = await startScript(controlScript, [temporalAddress(), harness.taskQueue]);
    const id = faultId('crash');
    const handle = await harness.start(
      {
        target: { node, interface: IFACE },
        kind: 'drop',
        match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
        magnitude: { percent: 100 },
        duration: '12s',
        verdictAfter: '500ms',
      },
      { id },
    );
    const holding = await until(
      () => handle.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    await kill(first.process);
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false); // still in force: it lives in the kernel

    const second = await Worker.create({
      connection: harness.env.nativeConnection,
      taskQueue: harness.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createFaultControlActivities(),
    });
    const result = await second.runUntil(handle.result());
    expect(result.state).toBe('completed');
    expect(result.end?.reason).toBe('duration');
    expect(result.reverts[0]?.found).toBe(true);
    // It held to its deadline through the crash, and then reverted (how late: bench/crash-matrix.ts).
    expect(Date.parse(result.end?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(holding.deadline ?? ''));
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect(await leftovers(topology, [id])).toEqual(CLEAN);
  });
});
