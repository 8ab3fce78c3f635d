// The Hubble stand-in's feed of the L7 proxies: it follows each proxy's
// events file from where it stood when the feed started (history is not
// replayed), keeps a line cut in half until its end arrives, reads a file
// that shrank from its start, and knows from the proxies' configs which
// connections a proxy reports (flowtap leaves those out).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowStore, type EndpointSource } from '../../../lab/hubble/index.ts';
import { feedL7, type L7Feed } from '../../../lab/hubble/l7-feed.ts';
import { l7Files, type L7Config, type L7Event } from '../../../lab/policy/index.ts';

const FRONTEND = '10.244.1.10';
const PAYMENT = '10.244.2.10';
const endpoints: EndpointSource = {
  byIp: () => ({ labels: [], identity: 2 }),
  podNamespaces: () => [],
  nodeOfNetns: () => undefined,
  refresh: async () => undefined,
};
const config: L7Config = {
  endpoint: { id: 4, namespace: 'finance', pod: 'payment-a', identity: 300, ips: [PAYMENT] },
  ipcache: [{ prefix: `${FRONTEND}/32`, identity: 400 }],
  entries: [{ identity: 400, protocol: 6, port: 8080, deny: false, http: [{ method: 'POST' }] }],
  ports: [
    {
      port: 8080,
      proxyPort: 15001,
      sources: [
        { prefix: `${FRONTEND}/32`, proxy: true },
        { prefix: '0.0.0.0/0', proxy: false },
      ],
    },
  ],
};
const line = (path: string): string =>
  `${JSON.stringify({
    type: 'REQUEST',
    verdict: 'DROPPED',
    atMs: Date.now(),
    client: { ip: FRONTEND, port: 40000 },
    server: { ip: PAYMENT, port: 8080 },
    clientIdentity: 400,
    serverIdentity: 300,
    endpointId: 4,
    http: { method: 'GET', url: `http://${PAYMENT}:8080${path}`, protocol: 'HTTP/1.1' },
  } satisfies L7Event)}\n`;

describe("the stand-in's feed of the L7 proxies", () => {
  let dir: string;
  let feed: L7Feed | undefined;
  const store = new FlowStore();
  const urls = () => store.take(100, () => true).map((m) => (m.flow.l7?.http as { url?: string } | undefined)?.url);
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 40 && !what(); i++) await sleep(25);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-l7-feed-'));
  });
  afterAll(() => {
    feed?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('follows events files from where they stood, a cut line once whole, a shrunk file from its start', async () => {
    const files = l7Files(dir, 'finance.payment-a');
    writeFileSync(files.events, line('/before'));
    feed = feedL7({ dir, store, context: () => ({ endpoints }), intervalMs: 20 });
    appendFileSync(files.events, line('/one') + line('/two').slice(0, 40));
    await until(() => urls().length >= 1);
    await sleep(60);
    expect(urls()).toEqual([`http://${PAYMENT}:8080/one`]);
    appendFileSync(files.events, line('/two').slice(40));
    await until(() => urls().length >= 2);
    expect(urls()).toEqual([`http://${PAYMENT}:8080/one`, `http://${PAYMENT}:8080/two`]);
    writeFileSync(files.events, line('/three'));
    await until(() => urls().length >= 3);
    expect(urls().at(-1)).toBe(`http://${PAYMENT}:8080/three`);
    // A file that appears later is read from its start.
    appendFileSync(l7Files(dir, 'finance.payment-b').events, line('/b'));
    await until(() => urls().length >= 4);
    expect(urls().at(-1)).toBe(`http://${PAYMENT}:8080/b`);
  });

  test("knows the connections a proxy reports from the proxies' configs", async () => {
    expect(feed?.proxied(PAYMENT, 8080, FRONTEND)).toBe(false);
    writeFileSync(l7Files(dir, 'finance.payment-a').config, JSON.stringify(config));
    await until(() => feed?.proxied(PAYMENT, 8080, FRONTEND) === true);
    expect(feed?.proxied(PAYMENT, 8080, FRONTEND)).toBe(true);
    expect(feed?.proxied(PAYMENT, 8080, '10.244.3.3')).toBe(false);
    expect(feed?.proxied(PAYMENT, 9901, FRONTEND)).toBe(false);
    rmSync(l7Files(dir, 'finance.payment-a').config);
    await until(() => feed?.proxied(PAYMENT, 8080, FRONTEND) === false);
    expect(feed?.proxied(PAYMENT, 8080, FRONTEND)).toBe(false);
  });
});
