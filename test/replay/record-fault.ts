// Records fault-workflow histories as replay fixtures, with the workflow code
// of any checkout (so a history of the code before a patch can be kept):
//   node test/replay/record-fault.ts [<workflows/index.ts of a checkout>] [prefix]
// A drop on a test namespace pair, held by an in-process node agent, ended by
// a stop condition. Its probe is named the way the code being recorded
// expects: an activity name before 'fault-catalogue-probes', a catalogue
// probe after. Needs root (network namespaces, eBPF); starts its own server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createFaultControlActivities, createNodeAgentActivities } from '../../activities/faults/index.ts';
import { freePort } from '../../lab/index.ts';
import { nodeQueue } from '../../model/index.ts';
import { startDevServer } from '../../worker/devserver.ts';
import type { FaultInput } from '../../workflows/index.ts';
import { createTopology, IFACE } from '../faults/helpers/netns.ts';
import { LIMITS } from '../faults/helpers/workers.ts';
import { quietRuntime } from '../helpers/temporal.ts';

const out = fileURLToPath(new URL('./histories/', import.meta.url));
const workflowsPath = resolve(process.argv[2] ?? fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)));
const prefix = process.argv[3] ?? '';
const legacy = process.argv[2] !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'nightshift-record-fault-'));
quietRuntime();
const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port: await freePort(), headless: true });
const topology = await createTopology();
const connection = await NativeConnection.connect({ address: server.address });
const node = 'record-node';
let calls = 0;
const failSecond = async () => {
  calls += 1;
  if (calls > 1) throw new Error('checkout success rate 40% < 95%');
  return { successRate: 1 };
};
const control = await Worker.create({
  connection,
  taskQueue: 'record-fault',
  workflowBundle: await bundleWorkflowCode({ workflowsPath }),
  // Both names: the activity a legacy probe names, and the catalogue probe's activity.
  activities: { ...createFaultControlActivities(), checkoutHealthy: failSecond, checkoutProbe: failSecond },
});
const agent = await Worker.create({
  connection,
  taskQueue: nodeQueue(node),
  activities: createNodeAgentActivities({ node, nodeNetns: topology.server }),
});
const running = [control.run(), agent.run()];
const client = new Client({ connection: await Connection.connect({ address: server.address }) });
try {
  const name = `fault-stop-condition`;
  const input: FaultInput = {
    spec: {
      target: { node, interface: IFACE },
      kind: 'drop',
      match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
      magnitude: { percent: 100 },
      duration: '1m',
      verdictAfter: '500ms',
      stopWhen: [{ probe: legacy ? 'checkoutHealthy' : 'checkout-probe', every: '1s' }],
    },
    limits: LIMITS,
    requestedBy: { id: 'record', via: 'record' },
  };
  const handle = await client.workflow.start('faultWorkflow', {
    taskQueue: 'record-fault',
    workflowId: `fixture-${prefix}${name}`,
    args: [input],
  });
  const result = (await handle.result()) as { state: string };
  if (result.state !== 'stopped') throw new Error(`expected the stop condition to end it, got ${result.state}`);
  const history = proto.temporal.api.history.v1.History.fromObject(await handle.fetchHistory());
  writeFileSync(join(out, `${prefix}${name}.json`), `${historyToJSON(history)}\n`);
  process.stdout.write(`recorded ${prefix}${name} with ${workflowsPath}\n`);
} finally {
  control.shutdown();
  agent.shutdown();
  await Promise.all(running);
  await client.connection.close();
  await connection.close();
  await server.stop();
  await topology.destroy();
  rmSync(dir, { recursive: true, force: true });
}
