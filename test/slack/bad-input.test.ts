// Input that used to take the gateway down or make it misbehave, sent to the
// real gateway (and the stand-in) over HTTP: each gets a clear answer, and
// /healthz answers afterwards. Raw request lines go over a plain socket,
// because fetch cannot send them.
import { connect } from 'node:net';
import { catalogue } from '../../worker/catalogue.ts';
import { compileRunbookByName } from '../../worker/runs.ts';
import { signForm } from '../../worker/slack-standin/index.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  // The gateway's own runbook source: runbooks/ by name only.
  h = await startHarness(await workflowBundle(), { runbooks: (name) => compileRunbookByName(name, catalogue()) });
});
afterAll(async () => {
  await h?.stop();
});

/** Send bytes as they are and read the whole answer (the server closes, or we stop waiting after the answer). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (/\r\n\r\n/.test(answer)) socket.end();
    });
    socket.on('close', () => done(answer));
    socket.on('error', fail);
    socket.write(bytes);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const port = () => Number(new URL(h.gateway.url).port);
const standinPort = () => Number(new URL(h.standin.url).port);

async function healthy(): Promise<void> {
  const health = await fetch(`${h.gateway.url}/healthz`);
  expect(health.status).toBe(200);
}

describe('request lines and headers no server can read: 400 (or 431), and the gateway keeps serving', () => {
  test.each([
    ['an absolute-form target new URL() cannot parse', 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['the same, to the Slack endpoint', 'POST http://[/slack/events HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a TLS hello on the plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400],
    ['a header with a control character', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400],
    ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('%s', async (_name, bytes, status) => {
    expect(statusOf(await raw(port(), bytes))).toBe(status);
    await healthy();
  });

  test('the Slack stand-in does the same', async () => {
    expect(statusOf(await raw(standinPort(), 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(400);
    expect((await fetch(`${h.standin.url}/_calls`)).status).toBe(200);
  });

  test('refusals before routing are counted in /metrics', async () => {
    const metrics = await fetch(`${h.gateway.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/nightshift_http_refused_total\{reason="unreadable-target"\} 2/);
    expect(metrics).toMatch(/nightshift_http_refused_total\{reason="client-error:HPE_HEADER_OVERFLOW"\} 1/);
  });
});

describe('every /nightshift text is acked with an ephemeral message naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['constructor', /Unknown subcommand "constructor"/],
    ['__proto__', /Unknown subcommand "__proto__"/],
    ['toString', /Unknown subcommand "toString"/],
    ['<!channel> <https://evil.example|click>', /Unknown subcommand "&lt;!channel&gt;"/],
    ['gameday constructor', /unknown gameday action "constructor"/],
    ['gameday __proto__', /unknown gameday action "__proto__"/],
    ['gameday run /dev/zero', /"\/dev\/zero" is not an experiment name/],
    ['gameday run ../../../etc/passwd', /"..\/..\/..\/etc\/passwd" is not an experiment name/],
    ['gameday run constructor', /Cannot use \*constructor\*:[\s\S]*no runbooks\/experiments\/constructor.yaml/],
    ['gameday schedule create /etc/hostname every 1h', /"\/etc\/hostname" is not an experiment name/],
    ['gameday stop <!here>', /"&lt;!here&gt;" is not a game-day id/],
    ['run bin', /Cannot start \*bin\*:[\s\S]*no runbooks\/bin.yaml/],
    ['run constructor', /Cannot start \*constructor\*:[\s\S]*no runbooks\/constructor.yaml/],
    ['run ../package', /"..\/package" is not a runbook name/],
    ['status <!channel>', /"&lt;!channel&gt;" is not a run id/],
    [`run ${'x'.repeat(4001)}`, /could not read that command \(text:/],
  ];
  const named = cases.map(([text, expected]) => {
    const name = text.length > 80 ? `${text.slice(0, 12)}… (${text.length} characters)` : text;
    return [name, text, expected] as const;
  });
  test.each(named)('/nightshift %s', async (_name, text, expected) => {
    const delivery = await h.standin.interactor.command({ user: 'U0ALICE', text });
    expect(delivery.status).toBe(200);
    const ack = JSON.parse(delivery.body) as { response_type?: string; text?: string };
    expect(ack).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(expected) });
    expect(ack.text).not.toMatch(/<!/);
    await healthy();
  });

  test('none of them started anything', async () => {
    let runs = 0;
    for await (const run of h.client.workflow.list({ query: `TaskQueue="${h.config.temporal.taskQueue}"` }))
      if (run.workflowId) runs += 1;
    expect(runs).toBe(0);
  });
});

test('a signed body of a content type Slack never sends is refused with 415, and the gateway keeps serving', async () => {
  const request = signForm(h.slack.signingSecret, { text: 'x' });
  const answer = await fetch(`${h.gateway.url}/slack/events`, {
    method: 'POST',
    headers: { ...request.headers, 'content-type': 'application/xml' },
    body: request.body,
  });
  expect(answer.status).toBe(415);
  await healthy();
});
