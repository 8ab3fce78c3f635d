// The kill switch end to end in the lab: a fault on every node, then
// `nightshift fault stop-all` from the command line, and again from Slack
// (`/nightshift stop-all` through the chart's gateway pod): every fault workflow
// ends aborted with its reverts found, and no node's kernel keeps anything.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { kubeconfigPath, NODES, UPLINK } from '../../lab/index.ts';
import { standinClient } from '../../worker/index.ts';
import { faultLimits, faultStatusQuery, type FaultInput, type FaultStatus } from '../../workflows/index.ts';
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
/** Where the lab's agents pin (bpf/paths.ts under NIGHTSHIFT_PIN_ROOT, one directory per node). */
const LAB_PINS = '/sys/fs/bpf/nightshift-lab';

describe('stop-all in the lab: every fault on every node, from the CLI and from Slack', () => {
  const lab = useLab();
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: lab.config.temporal.address }) });
  });
  afterAll(async () => client?.connection.close());

  /** A harmless fault (TCP port 9, nobody listens) on each node's uplink, each holding. */
  async function faultOnEveryNode(tag: string): Promise<string[]> {
    const ids = NODES.map((n) => `stop-all-${tag}-${n.name}-${Date.now().toString(36)}`);
    await Promise.all(
      NODES.map(async (node, i) => {
        const input: FaultInput = {
          spec: {
            target: { node: node.name, interface: UPLINK, netns: node.netns },
            kind: 'drop',
            match: { direction: 'egress', protocol: 'tcp', dstPorts: 9 },
            magnitude: { percent: 100 },
            duration: '10m',
            verdictAfter: '500ms',
          },
          limits: faultLimits(lab.config.faults),
          requestedBy: { id: 'stop-all-test', via: 'test' },
        };
        const handle = await client.workflow.start('faultWorkflow', {
          taskQueue: lab.config.temporal.taskQueue,
          workflowId: ids[i] as string,
          args: [input],
        });
        for (let tries = 0; ; tries++) {
          const status = await handle.query(faultStatusQuery).catch(() => undefined);
          if (status?.state === 'holding') return;
          if (tries > 120) throw new Error(`${ids[i]} did not hold: ${JSON.stringify(status)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    );
    expect(pinnedFaults().sort()).toEqual([...ids].sort());
    return ids;
  }

  /** Fault ids pinned in any lab node's kernel (each node's agent pins under its own directory). */
  function pinnedFaults(): string[] {
    return NODES.flatMap((node) => {
      const dir = join(LAB_PINS, node.name);
      return existsSync(dir) ? readdirSync(dir) : [];
    });
  }

  async function expectAllAborted(ids: string[]): Promise<void> {
    const results = await Promise.all(ids.map((id) => client.workflow.getHandle(id).result() as Promise<FaultStatus>));
    for (const status of results) {
      expect(status.state).toBe('aborted');
      expect(status.revertErrors).toEqual([]);
      // Its own revert ran once; it finds nothing when the node's sweep, sent at the same time, got there first.
      expect(status.reverts).toHaveLength(1);
    }
    expect(pinnedFaults()).toEqual([]);
  }

  test('`nightshift fault stop-all`: every fault aborted, every node cleared', async () => {
    const ids = await faultOnEveryNode('cli');
    const { stdout } = await exec(process.execPath, [CLI, 'fault', 'stop-all', '--json'], {
      env: {
        ...process.env,
        NIGHTSHIFT_DATA_DIR: lab.config.dataDir,
        TEMPORAL_ADDRESS: lab.config.temporal.address,
        KUBECONFIG: kubeconfigPath(lab.config.dataDir),
        LOG_LEVEL: 'warn',
      },
    });
    const outcome = JSON.parse(stdout) as { aborted: string[]; nodes: Record<string, { ok: boolean }> };
    expect(outcome.aborted.sort()).toEqual([...ids].sort());
    expect(Object.keys(outcome.nodes).sort()).toEqual(NODES.map((n) => n.name).sort());
    expect(Object.values(outcome.nodes).every((n) => n.ok)).toBe(true);
    await expectAllAborted(ids);
  });

  test('`/nightshift stop-all` in Slack, through the gateway: every fault aborted, every node cleared', async () => {
    const ids = await faultOnEveryNode('slack');
    // The lab's Slack stand-in sends alice's command to the chart's gateway pod (through the lab's ingress);
    // alice is a chaos-operator in the chart's access list (lab/chart-values.ts).
    const standin = standinClient(`http://127.0.0.1:${lab.config.slack.standin.port}`);
    const sent = await standin.command({ user: 'U0ALICE', text: 'stop-all' });
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toMatchObject({
      response_type: 'in_channel',
      text: expect.stringMatching(/stopping all faults/),
    });
    await expectAllAborted(ids);
  });
});
