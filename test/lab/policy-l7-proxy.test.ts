// The L7 proxy and its nftables redirect, without a lab: two throw-away
// namespaces (l7t-*), the lab's working payment policy compiled for a
// client labelled as the checkout frontend and a server labelled as
// payment, and the agent's own code (l7Proxies) putting the proxy and its
// table in the server's namespace. Root only; skips visibly without it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { parse } from 'yaml';
import { LAB_POLICY } from '../../lab/apply.ts';
import { policy } from '../../lab/index.ts';
import {
  appSaw,
  CLIENT_IP,
  createL7Net,
  L7T_PREFIX,
  requests,
  SERVER_IP,
  startApp,
  type L7Net,
} from './helpers/l7-net.ts';

const root = process.getuid?.() === 0;
const suite = root ? describe : describe.skip;
if (!root) console.warn('SKIPPED L7 proxy tests: they need root for network namespaces and nftables');

const PORT = 8080;
const ADMIN = 9901;
const OTHER_CLIENT_IP = '10.252.0.3';

function compiled(policyObject: unknown) {
  return policy.compile([policyObject], {
    namespaces: [{ name: 'production' }, { name: 'finance' }],
    pods: [
      { namespace: 'production', name: 'checkout-frontend-a', labels: { app: 'checkout-frontend' }, ips: [CLIENT_IP] },
      { namespace: 'finance', name: 'payment-processor-a', labels: { app: 'payment-processor' }, ips: [SERVER_IP] },
    ],
  });
}

suite('the L7 proxy in a pod namespace', () => {
  let net: L7Net;
  let app: ChildProcess;
  let dir: string;
  let proxies: policy.L7Proxies;
  const working: unknown = parse(readFileSync(LAB_POLICY, 'utf8'));
  const configOf = (p: unknown) => {
    const [config] = policy.l7Configs(compiled(p));
    if (!config) throw new Error('no L7 config');
    return config;
  };
  const pod = (config: policy.L7Config) => ({ key: 'finance/payment-processor-a', netns: net.server, config });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-l7t-'));
    net = await createL7Net();
    app = await startApp(net.server, PORT, ADMIN);
    proxies = policy.l7Proxies({ dir, log: () => undefined });
    const failed = await proxies.reconcile([pod(configOf(working))]);
    expect([...failed]).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await proxies?.stop();
    app?.kill('SIGKILL');
    await net?.destroy();
    rmSync(dir, { recursive: true, force: true });
    // Nothing of ours is left: no namespace, no proxy.
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(L7T_PREFIX))).toEqual([]);
  }, 30_000);

  test('a request the rule does not allow gets 403 Access denied and never reaches the application', async () => {
    const before = await appSaw(net.server, ADMIN);
    const answers = await requests(net.client, SERVER_IP, PORT, [
      { method: 'POST', path: '/v1/charge', body: '{"amount":1}' },
      { method: 'GET', path: '/' },
      { method: 'POST', path: '/v1/charge', body: '{"amount":2}' },
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 403, 200]);
    expect(answers[1]?.body).toBe('Access denied\r\n');
    // One kept-alive connection: each request on it is judged.
    expect(answers.slice(1).map((a) => a.reused)).toEqual([true, true]);
    const saw = (await appSaw(net.server, ADMIN)).slice(before.length);
    // Only the allowed requests arrived, from the proxy in the pod.
    expect(saw).toEqual(['POST /v1/charge from 127.0.0.1', 'POST /v1/charge from 127.0.0.1']);
  });

  test('the proxy writes each request and answer for the Hubble stand-in: the denied GET is DROPPED, its answer 403', async () => {
    const file = policy.l7Files(dir, net.server).events;
    const read = () =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => policy.l7EventSchema.parse(JSON.parse(line)));
    // The proxy writes through a stream: give the last line a moment.
    for (let i = 0; i < 40 && read().length < 6; i++) await sleep(50);
    const entries = read();
    const get = entries.filter((e) => e.http.method === 'GET' && e.http.url === `http://${SERVER_IP}:${PORT}/`);
    expect(get.map((e) => [e.type, e.verdict, e.http.code])).toEqual([
      ['REQUEST', 'DROPPED', undefined],
      ['RESPONSE', 'FORWARDED', 403],
    ]);
    expect(get[0]).toMatchObject({ client: { ip: CLIENT_IP }, server: { ip: SERVER_IP, port: PORT } });
    const posts = entries.filter((e) => e.http.method === 'POST' && e.type === 'RESPONSE');
    expect(posts.map((e) => e.http.code)).toEqual([200, 200]);
    expect(entries.every((e) => e.type === 'REQUEST' || (e.latencyNs ?? 0) > 0)).toBe(true);
  });

  test('a client the policy does not send to the proxy reaches the application straight', async () => {
    await net.addClientAddress(OTHER_CLIENT_IP);
    const before = await appSaw(net.server, ADMIN);
    const [answer] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }], OTHER_CLIENT_IP);
    expect(answer?.status).toBe(200);
    expect((await appSaw(net.server, ADMIN)).slice(before.length)).toEqual([`GET / from ${OTHER_CLIENT_IP}`]);
  });

  test('a changed rule is read again by the running proxy', async () => {
    const pid = proxies.status()[0]?.pid;
    const relaxed = parse(
      readFileSync(LAB_POLICY, 'utf8').replace(
        '{ method: POST, path: /v1/charge }',
        '{ method: "GET|POST", path: "/.*" }',
      ),
    );
    await proxies.reconcile([pod(configOf(relaxed))]);
    expect(proxies.status()[0]?.pid).toBe(pid);
    const [answer] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }]);
    expect(answer?.status).toBe(200);
    await proxies.reconcile([pod(configOf(working))]);
    const [again] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }]);
    expect(again?.status).toBe(403);
  });

  test('a pod that loses its L7 rules loses its table and its proxy', async () => {
    const pid = proxies.status()[0]?.pid;
    expect(await policy.hasNft(net.server)).toBe(true);
    await proxies.reconcile([]);
    expect(await policy.hasNft(net.server)).toBe(false);
    expect(pid !== undefined && existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(policy.l7Files(dir, net.server).config)).toBe(false);
    const [answer] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }]);
    expect(answer?.status).toBe(200);
    // And gets both back with the rules.
    await proxies.reconcile([pod(configOf(working))]);
    const [denied] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }]);
    expect(denied?.status).toBe(403);
  });

  test('a pod whose namespace is made again under the same name (a restart) gets a new proxy and table', async () => {
    const before = proxies.status()[0]?.pid;
    await net.remakeServer();
    app = await startApp(net.server, PORT, ADMIN);
    expect(await policy.hasNft(net.server)).toBe(false);
    await proxies.reconcile([pod(configOf(working))]);
    const after = proxies.status()[0]?.pid;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(await policy.hasNft(net.server)).toBe(true);
    const answers = await requests(net.client, SERVER_IP, PORT, [
      { method: 'GET', path: '/' },
      { method: 'POST', path: '/v1/charge', body: '{}' },
    ]);
    expect(answers.map((a) => a.status)).toEqual([403, 200]);
  });

  test('a proxy config file it cannot read leaves the last good one in force', async () => {
    const file = policy.l7Files(dir, net.server).config;
    writeFileSync(file, '{ not json');
    const pid = proxies.status()[0]?.pid;
    if (pid) process.kill(pid, 'SIGHUP');
    const [denied] = await requests(net.client, SERVER_IP, PORT, [{ method: 'GET', path: '/' }]);
    expect(denied?.status).toBe(403);
  });
});
