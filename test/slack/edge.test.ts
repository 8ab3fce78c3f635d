// What the gateway refuses, and how: bad signatures, stale or future
// timestamps and missing headers get 401; a body that is no Slack shape 415;
// a signed Slack shape nightshift does not handle, an unknown or tampered
// button, an ephemeral answer. None of them changes a run.
import { statusQuery } from '../../workflows/index.ts';
import { type RunStatus } from '../../model/index.ts';
import { runIdFor } from '../../worker/gateway/index.ts';
import { signForm, signature } from '../../worker/slack-standin/index.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { byKey, CHANNEL, ephemeralsFor, readable, startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;
let runId: string;
let decisionTs: string;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  h = await startHarness(await workflowBundle());
  const sent = await h.standin.interactor.command({ user: 'U0ALICE', text: 'run slack-drill namespace=production' });
  runId = runIdFor('slack-drill', sent.triggerId);
  const decision = await waitFor('the decision', () => byKey(h.standin, `${runId}#decision:choose`));
  decisionTs = decision.ts;
});
afterAll(async () => {
  await h?.stop();
});

const events = () => `${h.gateway.url}/slack/events`;
const post = (body: string, headers: Record<string, string>) =>
  fetch(events(), { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

function approvePayload(user = 'U0BOB') {
  return h.standin.interactor.clickPayload({
    user,
    channel: CHANNEL,
    ts: decisionTs,
    actionId: 'nightshift:decide:restart-cart',
  });
}

async function unchanged(): Promise<RunStatus> {
  const status = await h.client.workflow.getHandle(runId).query(statusQuery);
  expect(status).toMatchObject({ state: 'waiting', decisions: [] });
  return status;
}

describe('requests that are not from Slack get 401 and change nothing', () => {
  const cases: [string, (payload: string) => { body: string; headers: Record<string, string> }, RegExp][] = [
    ['a forged signature', (p) => signForm('not-the-secret', { payload: p }), /signature mismatch/],
    [
      'a stale timestamp (a replay after six minutes)',
      (p) => signForm(h.slack.signingSecret, { payload: p }, now() - 6 * 60),
      /five minutes/,
    ],
    [
      'a timestamp from the future',
      (p) => signForm(h.slack.signingSecret, { payload: p }, now() + 6 * 60),
      /five minutes/,
    ],
    [
      'no signature header',
      (p) => strip(signForm(h.slack.signingSecret, { payload: p }), 'x-slack-signature'),
      /missing x-slack-signature/,
    ],
    [
      'no timestamp header',
      (p) => strip(signForm(h.slack.signingSecret, { payload: p }), 'x-slack-request-timestamp'),
      /missing x-slack-request-timestamp/,
    ],
  ];
  test.each(cases)('%s', async (_name, make, reason) => {
    const { payload } = approvePayload();
    const request = make(JSON.stringify(payload));
    const answer = await post(request.body, request.headers);
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(reason);
    await unchanged();
  });
});

function strip(request: { body: string; headers: Record<string, string> }, header: string) {
  return {
    body: request.body,
    headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== header)),
  };
}

describe('signed Slack shapes nightshift does not handle are acked with an ephemeral message saying so', () => {
  const signed = (fields: Record<string, string>) => signForm(h.slack.signingSecret, fields);
  test.each([
    ['a payload that is not JSON', () => signed({ payload: '{not json' }), /its payload is not JSON/, undefined],
    [
      'block_actions without actions',
      () => signed({ payload: JSON.stringify({ ...approvePayload().payload, actions: [] }) }),
      /could not read that click \(actions:/,
      'U0BOB',
    ],
    [
      'an interaction type nightshift does not handle (a modal submission)',
      () => signed({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U0BOB' } }) }),
      /does not handle `view_submission` interactions/,
      undefined,
    ],
    [
      'a message shortcut, answered through its response_url too',
      () => signed({ payload: JSON.stringify({ ...approvePayload('U0CAROL').payload, type: 'message_action' }) }),
      /does not handle `message_action` interactions/,
      'U0CAROL',
    ],
    [
      'a slash command without a trigger id',
      () =>
        signed({
          command: '/nightshift',
          text: 'help',
          user_id: 'U0BOB',
          channel_id: CHANNEL,
          response_url: 'http://x/',
        }),
      /could not read that command \(trigger_id/,
      undefined,
    ],
    [
      'another slash command',
      () =>
        signed({
          command: '/deploy',
          text: 'everything',
          user_id: 'U0BOB',
          channel_id: CHANNEL,
          trigger_id: 't-deploy',
          response_url: 'http://x/',
        }),
      /answers \/nightshift only; `\/deploy` is not one of its commands/,
      undefined,
    ],
  ])('%s', async (_name, make, reason, user) => {
    const before = user ? ephemeralsFor(h.standin, user).length : 0;
    const request = make();
    const answer = await post(request.body, request.headers);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(reason) });
    if (user)
      await waitFor('the ephemeral reply', () =>
        ephemeralsFor(h.standin, user)
          .slice(before)
          .some((t) => reason.test(t)),
      );
    await unchanged();
  });

  test('a body that is neither form nor JSON gets 415', async () => {
    const stamp = now();
    const answer = await post('hello', {
      'content-type': 'text/plain',
      'x-slack-request-timestamp': String(stamp),
      'x-slack-signature': signature(h.slack.signingSecret, stamp, 'hello'),
    });
    expect(answer.status).toBe(415);
  });
});

describe('buttons nightshift does not know are answered, not acted on', () => {
  async function click(mutate: (payload: Record<string, unknown>) => Record<string, unknown>, user = 'U0BOB') {
    const { payload } = approvePayload(user);
    const request = signForm(h.slack.signingSecret, { payload: JSON.stringify(mutate(payload)) });
    return post(request.body, request.headers);
  }
  const action = (payload: Record<string, unknown>) => (payload.actions as Record<string, unknown>[])[0] ?? {};

  test('an unknown action id', async () => {
    const answer = await click(
      (p) => ({ ...p, actions: [{ ...action(p), action_id: 'someone-else:button' }] }),
      'U0CAROL',
    );
    expect(answer.status).toBe(200);
    await waitFor('the answer', () =>
      ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes('does not know the action `someone-else:button`')),
    );
    await unchanged();
  });

  test('a decision button whose value was tampered with', async () => {
    const tampered = JSON.stringify({ r: runId, s: 'choose', o: 'deny' });
    const answer = await click((p) => ({ ...p, actions: [{ ...action(p), value: tampered }] }), 'U0CAROL');
    expect(answer.status).toBe(200);
    await waitFor('the answer', () =>
      ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes('does not match its value')),
    );
    await unchanged();
  });

  test('a decision button whose value is not JSON', async () => {
    const answer = await click((p) => ({ ...p, actions: [{ ...action(p), value: 'approve!' }] }), 'U0CAROL');
    expect(answer.status).toBe(200);
    await waitFor('the answer', () => ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes('not JSON')));
    await unchanged();
  });
});

test('every refusal left the thread as it was and is counted in /metrics', async () => {
  await unchanged();
  expect(readable(byKey(h.standin, `${runId}#decision:choose`))).toContain('nightshift:decide:restart-cart');
  const metrics = await fetch(`${h.gateway.url}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/nightshift_slack_rejected_total\{status="401"\} 5/);
  expect(metrics).toMatch(/nightshift_slack_rejected_total\{status="415"\} 1/);
  expect(metrics).toMatch(/nightshift_slack_unhandled_total\{kind="interaction-type"\} 2/);
  expect(metrics).toMatch(/nightshift_slack_unhandled_total\{kind="command"\} 1/);
  expect(metrics).toMatch(/nightshift_http_request_seconds_bucket\{route="\/slack\/events",le="1"\}/);
});

test('status lists the runs in progress, and shows one run as its parent message does', async () => {
  const listed = await h.standin.interactor.command({ user: 'U0CAROL', text: 'status' });
  expect(listed.status).toBe(200);
  await waitFor('the list', () => ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes(runId)));
  await h.standin.interactor.command({ user: 'U0CAROL', text: `status ${runId}` });
  await waitFor('the run', () =>
    h.standin.workspace.ephemerals.some(
      (e) => e.user === 'U0CAROL' && JSON.stringify(e.blocks ?? []).includes('waiting for a decision'),
    ),
  );
  await h.standin.interactor.command({ user: 'U0CAROL', text: 'status no-such-run' });
  await waitFor('the miss', () => ephemeralsFor(h.standin, 'U0CAROL').some((t) => t.includes('No run `no-such-run`')));
  await unchanged();
});

test('health and readiness', async () => {
  expect((await fetch(`${h.gateway.url}/healthz`)).status).toBe(200);
  const ready = await fetch(`${h.gateway.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ temporal: 'reachable' });
  expect((await fetch(`${h.gateway.url}/nope`)).status).toBe(404);
  expect((await fetch(`${h.gateway.url}/slack/events`)).status).toBe(405);
});
