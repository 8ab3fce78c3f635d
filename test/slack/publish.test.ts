// The Slack activities against the stand-in: one thread per run, every post
// idempotent by key — also for a fresh worker that has forgotten everything
// and must find its messages again — the notify step in the thread, and the
// report uploaded through the external upload sequence.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.ts';
import { createSlackClient, slackActivityDeps } from '../../activities/slack/index.ts';
import type { RunStatus } from '../../model/index.ts';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';
import { byKey, readable } from './harness.ts';

let standin: Standin;
const token = `xoxb-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  standin = await startStandin({ port: 0, token, signingSecret: 's', gatewayUrl: 'http://127.0.0.1:9/slack/events' });
});
afterAll(async () => {
  await standin?.stop();
});

/** A fresh worker's activities: nothing remembered from before. */
function freshWorker(withToken = token) {
  const client = createSlackClient({ token: withToken, apiUrl: standin.apiUrl });
  return createActivities(slackActivityDeps(client, 'C0INCIDENTS'));
}

const run = (fn: () => Promise<unknown>) => new MockActivityEnvironment().run(fn);
const calls = (method: string) => standin.workspace.calls.filter((c) => c.method === method);

function status(stage: 'open' | 'decided'): RunStatus {
  const decided = stage === 'decided';
  return {
    runbook: 'slack-drill',
    title: 'Checkout traffic drill',
    state: decided ? 'completed' : 'waiting',
    requestedBy: { id: 'U0ALICE', via: 'slack' },
    params: { namespace: 'production' },
    steps: [
      {
        id: 'choose',
        kind: 'decide',
        title: 'Choose a fix',
        status: decided ? 'done' : 'running',
        ...(decided
          ? { result: { choice: 'restart-cart', options: [{ id: 'restart-cart', label: 'Restart the cart' }] } }
          : {}),
      },
    ],
    ...(decided
      ? {}
      : {
          pendingDecision: {
            step: 'choose',
            question: 'Restart the cart in production?',
            options: [{ id: 'restart-cart', label: 'Restart the cart' }],
            deadline: '2030-01-01T00:00:00.000Z',
            default: 'deny',
            deciders: { roles: ['approver'], users: [] },
            secondPerson: true,
          },
        }),
    decisions: decided
      ? [
          {
            step: 'choose',
            option: 'restart-cart',
            by: { id: 'U0BOB', via: 'slack' },
            at: '2030-01-01T00:00:05.000Z',
            auto: false,
          },
        ]
      : [],
    compensations: [],
    startedAt: new Date(Date.now() - 5000).toISOString(),
    endedAt: decided ? new Date().toISOString() : new Date(Date.now() - 1000).toISOString(),
    alerts: [],
  };
}

test('a retried publish updates the thread instead of posting again, even from a fresh worker', async () => {
  const key = `run-${randomBytes(4).toString('hex')}`;
  const before = calls('chat.postMessage').length;
  const first = freshWorker();
  await run(() => first.publishRun({ channel: 'C0INCIDENTS', key, status: status('open') }));
  await run(() => first.publishRun({ channel: 'C0INCIDENTS', key, status: status('open') }));
  expect(calls('chat.postMessage').length - before).toBe(2); // the parent and the decision, once each
  const parent = byKey(standin, key);
  const decision = byKey(standin, `${key}#decision:choose`);
  expect(decision?.thread_ts).toBe(parent?.ts);

  // The worker restarts: a new process, no cache. It finds both messages by their metadata key.
  const updates = calls('chat.update').length;
  const second = freshWorker();
  await run(() => second.publishRun({ channel: 'C0INCIDENTS', key, status: status('decided') }));
  expect(calls('chat.postMessage').length - before).toBe(2);
  expect(calls('chat.update').length - updates).toBe(2);
  expect(calls('conversations.history').length).toBeGreaterThan(0);
  // The question was remembered in the metadata, though the status no longer has it.
  const text = readable(byKey(standin, `${key}#decision:choose`));
  expect(text).toContain('Restart the cart in production?');
  expect(text).toContain('decided by <@U0BOB>');
  expect(text).not.toContain('nightshift:decide:');
});

test('the notify step posts into the run thread, and a retry updates it', async () => {
  const key = `run-${randomBytes(4).toString('hex')}`;
  const worker = freshWorker();
  await run(() => worker.publishRun({ channel: 'C0INCIDENTS', key, status: status('open') }));
  const call = {
    params: { message: 'All clear', channel: 'C0INCIDENTS' },
    context: { workflowId: key, runbook: 'slack-drill', stepId: 'tell', key: `${key}/tell` },
  };
  await run(() => worker.notify(call));
  await run(() => freshWorker().notify({ ...call, params: { ...call.params, message: 'All clear (retried)' } }));
  const notes = standin.workspace.messages.filter((m) => m.metadata?.event_payload.key === `${key}/tell`);
  expect(notes).toHaveLength(1);
  expect(notes[0]?.thread_ts).toBe(byKey(standin, key)?.ts);
  expect(notes[0]?.text).toBe('All clear (retried)');
});

test('a notify message carrying alert or parameter text is posted escaped: no mention, no link', async () => {
  const key = `run-${randomBytes(4).toString('hex')}`;
  const worker = freshWorker();
  const message = 'traffic-vanish in <!channel> & <https://evil.example|click here>';
  await run(() =>
    worker.notify({
      params: { message, channel: 'C0INCIDENTS' },
      context: { workflowId: key, runbook: 'slack-drill', stepId: 'tell', key: `${key}/tell` },
    }),
  );
  const note = standin.workspace.messages.find((m) => m.metadata?.event_payload.key === `${key}/tell`);
  const escaped = 'traffic-vanish in &lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;';
  expect(note?.text).toBe(escaped);
  expect(readable(note)).toContain(escaped);
  expect(`${note?.text} ${readable(note)}`).not.toMatch(/<!channel>|<https:/);
});

test('the report is uploaded into the thread through the external upload sequence, once', async () => {
  const key = `run-${randomBytes(4).toString('hex')}`;
  const worker = freshWorker();
  await run(() => worker.publishRun({ channel: 'C0INCIDENTS', key, status: status('decided') }));
  const before = standin.workspace.calls.length;
  const report = {
    channel: 'C0INCIDENTS',
    key,
    filename: 'report.md',
    title: `Incident report ${key}`,
    content: '# Report\nall good\n',
  };
  await expect(run(() => worker.publishReport(report))).resolves.toMatchObject({ uploaded: true });
  const sequence = standin.workspace.calls.slice(before).map((c) => c.method);
  expect(sequence).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
  const shared = standin.workspace.messages.find((m) => m.files?.some((f) => f.title === report.title));
  expect(shared?.thread_ts).toBe(byKey(standin, key)?.ts);
  await expect(run(() => worker.publishReport(report))).resolves.toMatchObject({ uploaded: false });
  await expect(run(() => freshWorker().publishReport(report))).resolves.toMatchObject({ uploaded: false });
  const id = shared?.files?.[0]?.id ?? '';
  expect(await fetch(`${standin.url}/files/${id}`).then((r) => r.text())).toBe(report.content);
});

test('a wrong token fails the activity without retries (Forbidden)', async () => {
  const worker = freshWorker('xoxb-wrong');
  const error = await run(() =>
    worker.publishRun({ channel: 'C0INCIDENTS', key: 'run-x', status: status('open') }),
  ).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error).toMatchObject({
    type: 'Forbidden',
    nonRetryable: true,
    message: expect.stringContaining('invalid_auth'),
  });
});
