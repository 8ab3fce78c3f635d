// The agent-local kill switch works with Temporal down: a fault holds, the
// Temporal server stops, and SIGUSR1 to the node agent (or, with the agent
// dead too, `nightshift agent stop-all` on the node) removes every attachment
// with the kernel alone. The agent and the CLI run as real processes with a
// pin root of their own, so nothing else on this machine is touched.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createFaultControlActivities } from '../../activities/faults/index.ts';
import { freePort } from '../../lab/index.ts';
import { startDevServer, type DevServer } from '../../worker/devserver.ts';
import { faultStatusQuery, type FaultInput, type faultWorkflow } from '../../workflows/index.ts';
import { kill } from '../helpers/process.ts';
import { quietRuntime, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { startAgentProcess, type AgentProcess } from './helpers/agent-process.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, LIMITS, nodeName, until } from './helpers/workers.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

describe('the kill switch, with Temporal down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-kill-switch-'));
  const pinRoot = `/sys/fs/bpf/nightshift-ks-${randomBytes(3).toString('hex')}`;
  const node = nodeName();
  let topology: Topology;
  let traffic: Traffic;
  // Per test: a dev server of its own (stopped by the test), a control worker, the agents.
  let port = 0;
  let dbFile = '';
  let server: DevServer | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let taskQueue = '';
  let agents: AgentProcess[] = [];
  let handles: string[] = [];

  const serve = async () => {
    server = await startDevServer({ dbFile, port, headless: true });
  };
  const agentEnv = () => ({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, NIGHTSHIFT_PIN_ROOT: pinRoot });
  const pinned = () => (existsSync(pinRoot) ? readdirSync(pinRoot) : []);
  const connect = async () => new Client({ connection: await Connection.connect({ address: `127.0.0.1:${port}` }) });

  async function holdFault(prefix: string): Promise<string> {
    const client = await connect();
    try {
      const id = faultId(prefix);
      const input: FaultInput = {
        spec: {
          target: { node, interface: IFACE },
          kind: 'drop',
          match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
          magnitude: { percent: 100 },
          duration: '5m',
          verdictAfter: '500ms',
        },
        limits: LIMITS,
        requestedBy: { id: 'test', via: 'test' },
      };
      const handle = await client.workflow.start<typeof faultWorkflow>('faultWorkflow', {
        taskQueue,
        workflowId: id,
        args: [input],
      });
      handles.push(id);
      await until(
        () => handle.query(faultStatusQuery),
        (s) => s.state === 'holding',
        'the fault to hold',
        60_000,
      );
      return id;
    } finally {
      await client.connection.close();
    }
  }

  beforeAll(async () => {
    quietRuntime();
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
  });

  beforeEach(async () => {
    port = await freePort();
    dbFile = join(dir, `temporal-${port}.db`);
    taskQueue = uniqueQueue('kill-switch');
    await serve();
    worker = await Worker.create({
      connection: await NativeConnection.connect({ address: `127.0.0.1:${port}` }),
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createFaultControlActivities(),
    });
    running = worker.run();
  });

  afterEach(async () => {
    for (const agent of agents) await kill(agent);
    agents = [];
    // Temporal back up, so the worker can stop and the workflows can be ended.
    if (server?.process.exitCode !== null || server.process.signalCode !== null) await serve();
    const client = await connect();
    for (const id of handles)
      await client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
    handles = [];
    await client.connection.close();
    worker?.shutdown();
    await running?.catch(() => undefined);
    await server?.stop();
  });

  afterAll(async () => {
    await traffic?.stop();
    await topology?.destroy();
    rmSync(pinRoot, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGUSR1 to the agent removes every fault on the node while Temporal is down', async () => {
    const agent = await startAgentProcess(node, topology.server, agentEnv());
    agents.push(agent);
    const id = await holdFault('ks-signal');
    expect(pinned()).toEqual([id]);
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);

    await server?.stop();
    agent.kill('SIGUSR1');
    await until(
      async () => agent.output(),
      (out) => out.includes('kill switch pulled; removed 1 fault(s)'),
      'the agent to pull its kill switch',
    );
    expect(pinned()).toEqual([]);
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect(await leftovers(topology, [])).toEqual(CLEAN);
  });

  test('with --stop-faults-on-exit, SIGTERM (helm uninstall) removes every fault before the agent exits', async () => {
    const agent = await startAgentProcess(node, topology.server, agentEnv(), ['--stop-faults-on-exit']);
    agents.push(agent);
    const id = await holdFault('ks-exit');
    expect(pinned()).toEqual([id]);
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);

    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(agent.output()).toContain('stopping; removed 1 fault(s)');
    expect(pinned()).toEqual([]);
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect(await leftovers(topology, [])).toEqual(CLEAN);
  });

  test('without it, SIGTERM leaves the fault to the next agent on the node (a restart is not an uninstall)', async () => {
    const agent = await startAgentProcess(node, topology.server, agentEnv());
    agents.push(agent);
    const id = await holdFault('ks-restart');
    const exited = new Promise<number | null>((done) => agent.once('exit', (code) => done(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(pinned()).toEqual([id]);
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);
    // What the next agent's reconciler would do, done here so the next test starts clean.
    await exec(process.execPath, [CLI, 'agent', 'stop-all', '--node', node, '--json'], {
      env: { ...process.env, ...agentEnv() },
    });
    expect(pinned()).toEqual([]);
    expect(await leftovers(topology, [])).toEqual(CLEAN);
  });

  test('`nightshift agent stop-all` removes every fault with the agent and Temporal both down', async () => {
    const agent = await startAgentProcess(node, topology.server, agentEnv());
    agents.push(agent);
    const id = await holdFault('ks-cli');
    expect(pinned()).toEqual([id]);
    await kill(agent); // SIGKILL: nothing of the agent runs any more
    await server?.stop();
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);

    const { stdout } = await exec(process.execPath, [CLI, 'agent', 'stop-all', '--node', node, '--json'], {
      env: { ...process.env, ...agentEnv() },
    });
    const result = JSON.parse(stdout) as { node: string; reverted: { faultId: string; found: boolean }[] };
    expect(result).toMatchObject({ node, reverted: [{ faultId: id, found: true }] });
    expect(pinned()).toEqual([]);
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
    expect(await leftovers(topology, [])).toEqual(CLEAN);
  });
});
