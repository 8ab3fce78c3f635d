// The stand-in speaks the Web API's wire format: form or JSON bodies, a
// Bearer token (or token field), {ok:false,error} answers, shape checks on
// arguments and blocks; every call is recorded, without the token. Its
// control endpoints take no cross-site request.
import { request } from 'node:http';
import { startStandin, type Standin } from '../../worker/slack-standin/index.ts';

let standin: Standin;
const TOKEN = 'xoxb-standin-test';

beforeAll(async () => {
  standin = await startStandin({
    port: 0,
    token: TOKEN,
    signingSecret: 's',
    gatewayUrl: 'http://127.0.0.1:9/slack/events',
  });
});
afterAll(async () => {
  await standin?.stop();
});

async function call(method: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${standin.apiUrl}${method}`, { method: 'POST', headers, body });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

test('auth: no token is not_authed, a wrong one invalid_auth, a token form field works', async () => {
  expect(await call('auth.test', '', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
    ok: false,
    error: 'not_authed',
  });
  expect(
    await call('auth.test', '', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Bearer xoxb-nope',
    }),
  ).toEqual({ ok: false, error: 'invalid_auth' });
  expect(
    await call('auth.test', `token=${TOKEN}`, { 'content-type': 'application/x-www-form-urlencoded' }),
  ).toMatchObject({ ok: true, user_id: 'U0NIGHTSHIFT' });
});

test('chat.postMessage takes a form body with JSON-encoded blocks, or a JSON body', async () => {
  const blocks = JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }]);
  const viaForm = await call(
    'chat.postMessage',
    new URLSearchParams({ channel: '#incidents', text: 'hi', blocks }).toString(),
    {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${TOKEN}`,
    },
  );
  expect(viaForm).toMatchObject({ ok: true, channel: 'C0INCIDENTS', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
  const viaJson = await call(
    'chat.postMessage',
    JSON.stringify({ channel: 'C0INCIDENTS', text: 'reply', thread_ts: viaForm.ts }),
    {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${TOKEN}`,
    },
  );
  expect(viaJson).toMatchObject({ ok: true });
  expect(standin.workspace.thread('C0INCIDENTS', String(viaForm.ts))).toHaveLength(2);
});

test('bad arguments get Slack error codes', async () => {
  const post = (fields: Record<string, string>) =>
    call('chat.postMessage', new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${TOKEN}`,
    });
  expect(await post({ text: 'no channel' })).toMatchObject({
    ok: false,
    error: 'invalid_arguments',
    response_metadata: { messages: [expect.stringContaining('channel')] },
  });
  expect(await post({ channel: 'C0NOWHERE', text: 'x' })).toEqual({ ok: false, error: 'channel_not_found' });
  expect(await post({ channel: 'C0INCIDENTS' })).toEqual({ ok: false, error: 'no_text' });
  const longButton = [
    {
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'x'.repeat(76) }, action_id: 'a' }],
    },
  ];
  expect(await post({ channel: 'C0INCIDENTS', text: 'x', blocks: JSON.stringify(longButton) })).toMatchObject({
    ok: false,
    error: 'invalid_blocks',
  });
  expect(await post({ channel: 'C0INCIDENTS', text: 'x', thread_ts: '1.000001' })).toEqual({
    ok: false,
    error: 'thread_not_found',
  });
  const update = await call(
    'chat.update',
    new URLSearchParams({ channel: 'C0INCIDENTS', ts: '1.000001', text: 'x' }).toString(),
    {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${TOKEN}`,
    },
  );
  expect(update).toEqual({ ok: false, error: 'message_not_found' });
  expect(
    await call('chat.nonsense', '', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${TOKEN}`,
    }),
  ).toEqual({ ok: false, error: 'unknown_method' });
});

test('every call is recorded and served over HTTP, never with its token', async () => {
  const recorded = (await fetch(`${standin.url}/_calls?method=chat.postMessage`).then((r) => r.json())) as {
    method: string;
    ok: boolean;
    args: Record<string, unknown>;
  }[];
  expect(recorded.length).toBeGreaterThanOrEqual(5);
  expect(recorded.every((c) => c.method === 'chat.postMessage')).toBe(true);
  expect(recorded.some((c) => !c.ok)).toBe(true);
  const all = await fetch(`${standin.url}/_calls`).then((r) => r.text());
  expect(all).not.toContain(TOKEN);
});

test('users.info and usergroups answer for the workspace people', async () => {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` };
  expect(await call('users.info', 'user=U0BOB', headers)).toMatchObject({
    ok: true,
    user: { id: 'U0BOB', name: 'bob' },
  });
  expect(await call('users.info', 'user=U0NOBODY', headers)).toEqual({ ok: false, error: 'user_not_found' });
  expect(await call('usergroups.users.list', 'usergroup=S0NONE', headers)).toEqual({
    ok: false,
    error: 'no_such_subteam',
  });
});

describe('the control endpoints refuse what a cross-site page could send', () => {
  /** A POST as a browser on some page would send it; node:http sends every header as given. */
  function control(path: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(`${standin.url}${path}`, { method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', fail);
      req.end(body);
    });
  }
  const own = () => new URL(standin.url).host;

  test.each([
    [
      'a form post (a simple request any page may send)',
      { 'content-type': 'application/x-www-form-urlencoded' },
      /take application\/json/,
    ],
    ['text/plain (also simple)', { 'content-type': 'text/plain' }, /take application\/json/],
    [
      'JSON marked cross-site by the browser',
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      /cross-site request refused/,
    ],
    [
      'JSON from another origin',
      { 'content-type': 'application/json', origin: 'http://evil.example' },
      /another origin/,
    ],
  ])('%s gets 403', async (_name, headers, reason) => {
    for (const path of ['/_command', '/_click']) {
      const answer = await control(path, JSON.stringify({ user: 'U0ALICE', text: 'stop-all' }), headers);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(reason);
    }
  });

  test("the stand-in's own page gets through (here to the body check)", async () => {
    const headers = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', origin: `http://${own()}` };
    const answer = await control('/_command', '{}', headers);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/expected \{user, text\}/);
  });
});
