// Decisions survive restarts: while a decision is pending, the worker and the
// gateway are both killed (SIGKILL) and started again; the click made
// afterwards is accepted, the run completes, and the thread is updated in
// place by a worker that had to find its messages again.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../lab/ports.ts';
import { runIdFor } from '../../worker/gateway/index.ts';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';
import { kill, startScript, type Child } from '../helpers/process.ts';
import { temporalAddress, uniqueQueue, workflowBundle } from '../helpers/temporal.ts';
import { readRestarts } from './fixtures/activities.ts';
import { byKey, CHANNEL, ephemeralsFor, readable, waitFor } from './harness.ts';

const script = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let standin: Standin;
let client: Client;
const children: Child[] = [];

afterAll(async () => {
  for (const child of children) await kill(child.process);
  await standin?.stop();
  await client?.connection.close();
});

test('a click after the worker and the gateway were killed and restarted is accepted and the run completes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-slack-restart-'));
  const bundleFile = join(dir, 'workflows.js');
  writeFileSync(bundleFile, (await workflowBundle()).code);
  const address = temporalAddress();
  const queue = uniqueQueue('slack-restart');
  const token = `xoxb-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const port = await freePort();
  standin = await startStandin({
    port: 0,
    token,
    signingSecret: secret,
    gatewayUrl: `http://127.0.0.1:${port}/slack/events`,
  });
  client = new Client({ connection: await Connection.connect({ address }) });
  const startWorker = () =>
    startScript(script('worker-process.ts'), [address, queue, bundleFile, standin.apiUrl, token, dir]);
  const startGateway = () =>
    startScript(script('gateway-process.ts'), [address, queue, standin.apiUrl, token, secret, String(port)]);

  let worker = await startWorker();
  let gateway = await startGateway();
  children.push(worker, gateway);
  const sent = await standin.interactor.command({ user: 'U0ALICE', text: 'run slack-drill namespace=production' });
  expect(sent.status).toBe(200);
  const runId = runIdFor('slack-drill', sent.triggerId);
  const decision = await waitFor('the decision', () => byKey(standin, `${runId}#decision:choose`), 30_000);

  await kill(worker.process);
  await kill(gateway.process);
  worker = await startWorker();
  gateway = await startGateway();
  children.push(worker, gateway);

  const click = await standin.interactor.click({
    user: 'U0BOB',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:restart-cart',
  });
  expect(click.status).toBe(200);
  const result = await client.workflow.getHandle(runId).result();
  expect(result.state).toBe('completed');
  expect(result.decisions).toEqual([
    expect.objectContaining({ option: 'restart-cart', by: expect.objectContaining({ id: 'U0BOB' }) }),
  ]);
  expect(readRestarts(dir).filter((k) => k.startsWith(runId))).toHaveLength(1);
  await waitFor('the accepted answer', () => ephemeralsFor(standin, 'U0BOB').some((t) => t.includes('Accepted')));
  await waitFor(
    'the decided message',
    () => readable(byKey(standin, `${runId}#decision:choose`)).includes('decided by <@U0BOB>'),
    30_000,
  );
  // The restarted worker found the thread: still one parent, one decision message.
  expect(standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === runId)).toHaveLength(1);
  expect(
    standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === `${runId}#decision:choose`),
  ).toHaveLength(1);
  expect(readable(byKey(standin, `${runId}#decision:choose`))).toContain('Restart the cart in production?');
});
