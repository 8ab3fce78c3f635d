// End to end against the real gateway, the stand-in and a real Temporal run
// of the runbook workflow: a signed command starts a run and is acked at
// once; the thread appears and follows the run; a signed click decides.
import { statusQuery } from '../../workflows/index.ts';
import { runIdFor } from '../../worker/gateway/index.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { byKey, CHANNEL, ephemeralsFor, readable, startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(await workflowBundle());
});
afterAll(async () => {
  await h?.stop();
});

/** A slash command, and (the listener acks before it starts the run) the run it started. */
async function startDrill(user: string, text: string) {
  const sent = await h.standin.interactor.command({ user, text });
  const name = text.split(' ')[1] ?? '';
  const runId = runIdFor(name, sent.triggerId);
  if (sent.status === 200) {
    await waitFor(`run ${runId} to start`, () =>
      h.client.workflow
        .getHandle(runId)
        .describe()
        .then(
          () => true,
          () => false,
        ),
    );
  }
  return { sent, runId };
}

const decisionKey = (runId: string) => `${runId}#decision:choose`;

async function waitForDecision(runId: string) {
  return waitFor('the decision message with buttons', () => {
    const message = byKey(h.standin, decisionKey(runId));
    return message && readable(message).includes('nightshift:decide:restart-cart') ? message : undefined;
  });
}

test('a signed /nightshift run is acked and its thread follows the run to the decision', async () => {
  const { sent, runId } = await startDrill('U0ALICE', 'run slack-drill namespace=staging');
  expect(sent.status).toBe(200); // how fast: bench/slack-ack.ts
  expect(JSON.parse(sent.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining(runId) });

  const decision = await waitForDecision(runId);
  const parent = byKey(h.standin, runId);
  expect(parent?.channel).toBe(CHANNEL);
  expect(decision.thread_ts).toBe(parent?.ts);
  expect(readable(parent)).toContain('waiting for a decision');
  expect(readable(byKey(h.standin, `${runId}#evidence:look`))).toContain('412 dropped flows');
  expect(readable(byKey(h.standin, `${runId}#diagnosis`))).toContain('▰▰▰▰▱ 82%');
  expect(readable(decision)).toContain('Restart the cart in staging?');
  // One parent, updated in place as the steps advanced.
  const parents = h.standin.workspace.calls.filter(
    (c) => c.method === 'chat.postMessage' && !c.args.thread_ts && String(c.args.metadata).includes(`"${runId}"`),
  );
  expect(parents).toHaveLength(1);
  const updates = h.standin.workspace.calls.filter((c) => c.method === 'chat.update' && c.args.ts === parent?.ts);
  expect(updates.length).toBeGreaterThanOrEqual(2);

  // Bob approves with a signed click; the run continues and completes.
  const click = await h.standin.interactor.click({
    user: 'U0BOB',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:restart-cart',
  });
  expect(click.status).toBe(200);
  const result = await h.client.workflow.getHandle(runId).result();
  expect(result.state).toBe('completed');
  expect(result.decisions).toEqual([
    expect.objectContaining({ option: 'restart-cart', by: expect.objectContaining({ id: 'U0BOB', via: 'slack' }) }),
  ]);
  expect(h.restarts.filter((k) => k.startsWith(runId))).toHaveLength(1);
  await waitFor('the accepted ephemeral', () => ephemeralsFor(h.standin, 'U0BOB').some((t) => t.includes('Accepted')));
  await waitFor('the decided message', () =>
    readable(byKey(h.standin, decisionKey(runId))).includes('decided by <@U0BOB>'),
  );
  await waitFor('the completed parent', () => readable(byKey(h.standin, runId)).includes('completed'));
  await waitFor('the notify reply in the thread', () => byKey(h.standin, `${runId}/tell`)?.thread_ts === parent?.ts);
  expect(readable(byKey(h.standin, decisionKey(runId)))).not.toContain('nightshift:decide:');
  // The run's last step: its report, Markdown and HTML, in the thread.
  const reports = await waitFor('the report files in the thread', () => {
    const files = h.standin.workspace.messages.filter((m) => m.thread_ts === parent?.ts).flatMap((m) => m.files ?? []);
    return files.length >= 2 ? files : undefined;
  });
  expect(reports.map((f) => f.name).sort()).toEqual([`${runId}.html`, `${runId}.md`]);
  expect(result.report?.attached).toEqual([`${runId}.md: uploaded`, `${runId}.html: uploaded`]);
});

test('a repeated delivery of one command starts one run; of one click, one decision', async () => {
  const fields = { user: 'U0ALICE', text: 'run slack-drill' };
  const first = await h.standin.interactor.command(fields);
  const runId = runIdFor('slack-drill', first.triggerId);
  // Slack's retry carries the very same body and signature; replay the recorded request.
  const again = await replayLast(first.triggerId, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
  expect(again.status).toBe(200);
  const decision = await waitForDecision(runId);
  const runs = [];
  for await (const run of h.client.workflow.list({ query: `WorkflowId = '${runId}'` })) runs.push(run);
  expect(runs).toHaveLength(1);

  const click = await h.standin.interactor.click({
    user: 'U0BOB',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:restart-cart',
  });
  const repeat = await replayLast(click.triggerId, { 'x-slack-retry-num': '1' });
  expect(repeat.status).toBe(200);
  const result = await h.client.workflow.getHandle(runId).result();
  expect(result.decisions).toHaveLength(1);
  expect(h.restarts.filter((k) => k.startsWith(runId))).toHaveLength(1);
  const parents = h.standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === runId);
  expect(parents).toHaveLength(1);
});

test('the requester cannot approve their own production remediation; a second person can', async () => {
  const { runId } = await startDrill('U0ALICE', 'run slack-drill namespace=production');
  const decision = await waitForDecision(runId);
  expect(readable(decision)).toContain('a second person must approve');
  const own = await h.standin.interactor.click({
    user: 'U0ALICE',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:restart-cart',
  });
  expect(own.status).toBe(200);
  await waitFor('the refusal', () =>
    ephemeralsFor(h.standin, 'U0ALICE').some((t) => t.includes('cannot approve its remediation')),
  );
  const handle = h.client.workflow.getHandle(runId);
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'waiting', decisions: [] });

  await h.standin.interactor.click({
    user: 'U0CAROL',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:restart-cart',
  });
  await waitFor('the viewer refusal', () =>
    ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes('not authorised')),
  );
  expect(await handle.query(statusQuery)).toMatchObject({ state: 'waiting', decisions: [] });

  await h.standin.interactor.click({
    user: 'U0BOB',
    channel: CHANNEL,
    ts: decision.ts,
    actionId: 'nightshift:decide:deny',
  });
  const result = await handle.result();
  expect(result.decisions).toEqual([
    expect.objectContaining({ option: 'deny', by: expect.objectContaining({ id: 'U0BOB' }) }),
  ]);
  expect(h.restarts.filter((k) => k.startsWith(runId))).toHaveLength(0);

  // A click after the run finished is answered, and changes nothing.
  await h.standin.interactor
    .click({ user: 'U0BOB', channel: CHANNEL, ts: decision.ts, actionId: 'nightshift:decide:deny' })
    .catch(() => undefined);
});

test('when nobody decides in time the decision message says which default was taken', async () => {
  const { runId } = await startDrill('U0ALICE', 'run slack-drill-quick');
  const result = await h.client.workflow.getHandle(runId).result();
  expect(result.decisions).toEqual([expect.objectContaining({ option: 'deny', auto: true })]);
  await waitFor('the timeout outcome', () =>
    readable(byKey(h.standin, decisionKey(runId))).includes(
      'Nobody decided in time: the default *Deny (change nothing)* was taken',
    ),
  );
  expect(readable(byKey(h.standin, decisionKey(runId)))).toContain('Restart the cart in staging?');
});

/** Send again exactly what the stand-in last sent for this trigger id, with extra headers. */
async function replayLast(triggerId: string, headers: Record<string, string>) {
  const sent = h.standin.interactor.sent.find(
    (s) => s.body.includes(encodeURIComponent(triggerId)) || s.body.includes(triggerId),
  );
  if (!sent) throw new Error(`nothing was sent with trigger ${triggerId}`);
  const response = await fetch(sent.url, { method: 'POST', headers: { ...sent.headers, ...headers }, body: sent.body });
  return { status: response.status, body: await response.text() };
}
