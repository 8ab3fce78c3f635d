// A stand-in in another process, as the lab runs it for the chart's pods: the
// URLs it hands out name the address its clients reach it at (its public
// URL), and a client of its control endpoints reads its messages and sends a
// person's slash command and click to the gateway, signed, with the
// gateway's answer.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signature, startStandin, standinClient, type Standin } from '../../worker/slack-standin/index.ts';

const TOKEN = 'xoxb-standin-client-test';
const SECRET = 'standin-client-signing-secret';
const PUBLIC = 'http://10.200.0.1:3001';

let standin: Standin;
let gateway: Server;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'in_channel', text: 'stopping all faults' }));
    });
  });
  await new Promise<void>((done) => gateway.listen(0, '127.0.0.1', done));
  const port = (gateway.address() as AddressInfo).port;
  standin = await startStandin({
    port: 0,
    token: TOKEN,
    signingSecret: SECRET,
    gatewayUrl: `http://127.0.0.1:${port}/slack/events`,
    publicUrl: `${PUBLIC}/`,
  });
});
afterAll(async () => {
  await standin?.stop();
  await new Promise((done) => gateway?.close(done));
});

async function api(method: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${standin.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

test('it listens where it was told, and hands out URLs at its public address', async () => {
  expect(standin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const upload = await api('files.getUploadURLExternal', { filename: 'report.md', length: 5 });
  expect(upload).toMatchObject({
    ok: true,
    upload_url: expect.stringMatching(/^http:\/\/10\.200\.0\.1:3001\/upload\/F/),
  });
});

test("a client reads its messages and sends a person's command, signed, with the gateway's answer", async () => {
  const client = standinClient(standin.url);
  await api('chat.postMessage', { channel: 'C0INCIDENTS', text: 'hello from the worker' });
  expect((await client.messages()).map((m) => m.text)).toContain('hello from the worker');

  const sent = await client.command({ user: 'U0ALICE', text: 'stop-all' });
  expect(sent.status).toBe(200);
  expect(JSON.parse(sent.body)).toMatchObject({ text: 'stopping all faults' });
  const [request] = received;
  const form = new URLSearchParams(request?.body ?? '');
  expect(form.get('user_id')).toBe('U0ALICE');
  expect(form.get('text')).toBe('stop-all');
  // Its response_url is at the public address too: where a gateway in a pod can post.
  expect(form.get('response_url')).toMatch(/^http:\/\/10\.200\.0\.1:3001\/respond\//);
  const timestamp = Number(request?.headers['x-slack-request-timestamp']);
  expect(request?.headers['x-slack-signature']).toBe(signature(SECRET, timestamp, request?.body ?? ''));
});

test('a click on a message that is not there is refused with the reason', async () => {
  await expect(
    standinClient(standin.url).click({ user: 'U0BOB', channel: 'C0INCIDENTS', ts: '1.000001', actionId: 'x' }),
  ).rejects.toThrow(/the Slack stand-in answered 400 to POST .*\/_click/);
});
