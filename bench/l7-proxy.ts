// Benchmark: what the lab's L7 proxy (lab/policy/l7-proxy.ts) adds to an
// allowed request, side by side in one run. Two throw-away namespaces
// (l7t-b<id>-client, -server) joined by a veth; in the server, one HTTP
// application listening on 8080 and 8081; the policy puts 8080 behind the
// proxy (POST /v1/charge from the client, the lab's rule), started and
// redirected by the agent's own code (l7Proxies, nftables), while 8081
// reaches the application straight. From inside the client, blocks of
// requests alternate between the two ports, on one kept-alive connection
// per port, then on a new connection per request. The figure is the median
// time of a request (from the client's send to the end of the answer),
// proxied against straight, and their ratio.
//   node bench/l7-proxy.ts [REQUESTS_PER_PATH] [--json]      (default 2000; needs root)
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { policy } from '../lab/index.ts';

const exec = promisify(execFile);
const args = process.argv.slice(2);
const REQUESTS = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const JSON_OUT = args.includes('--json');
const BLOCK = 100;
const id = randomBytes(3).toString('hex');
const client = `l7t-b${id}-client`;
const server = `l7t-b${id}-server`;
const CLIENT_IP = '10.253.0.1';
const SERVER_IP = '10.253.0.2';
const dir = mkdtempSync(join(tmpdir(), 'nightshift-bench-l7-'));

const APP = `
const http = require('node:http');
const handler = (req, res) => { req.resume(); req.on('end', () => res.end('{"charged":true}\\n')); };
let up = 0;
for (const p of [8080, 8081]) http.createServer({ keepAlive: true }, handler).listen(p, () => { if (++up === 2) console.log('ready'); });
`;

// Alternating blocks, so both paths meet the same moments of a busy machine.
const CLIENT = `
const http = require('node:http');
const [host, total, block] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const times = { proxied: [], straight: [], proxiedNew: [], straightNew: [] };
const agents = { 8080: new http.Agent({ keepAlive: true, maxSockets: 1 }), 8081: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
const one = (port, agent) => new Promise((done, fail) => {
  const t0 = process.hrtime.bigint();
  const req = http.request({ host, port, method: 'POST', path: '/v1/charge', agent, headers: { 'content-type': 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => res.statusCode === 200 ? done(Number(process.hrtime.bigint() - t0) / 1e3) : fail(new Error('status ' + res.statusCode)));
  });
  req.on('error', fail);
  req.end('{"amount":1}');
});
(async () => {
  for (let i = 0; i < 20; i++) { await one(8080, agents[8080]); await one(8081, agents[8081]); }
  for (let done = 0; done < total; done += block) {
    for (let i = 0; i < block; i++) times.proxied.push(await one(8080, agents[8080]));
    for (let i = 0; i < block; i++) times.straight.push(await one(8081, agents[8081]));
  }
  for (let done = 0; done < total / 4; done += block / 4) {
    for (let i = 0; i < block / 4; i++) times.proxiedNew.push(await one(8080, false));
    for (let i = 0; i < block / 4; i++) times.straightNew.push(await one(8081, false));
  }
  console.log(JSON.stringify(times));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

const timesSchema = z.object({
  proxied: z.array(z.number()),
  straight: z.array(z.number()),
  proxiedNew: z.array(z.number()),
  straightNew: z.array(z.number()),
});

const ip = (netns: string, ...rest: string[]) => exec('ip', ['-n', netns, ...rest]);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] ?? NaN;
};

if (process.getuid?.() !== 0) {
  console.error('bench/l7-proxy.ts needs root (network namespaces, nftables)');
  process.exit(2);
}

const proxies = policy.l7Proxies({ dir, log: () => undefined });
let app: ReturnType<typeof spawn> | undefined;
try {
  for (const ns of [client, server]) await exec('ip', ['netns', 'add', ns]);
  await ip(client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server);
  for (const [ns, addr] of [
    [client, CLIENT_IP],
    [server, SERVER_IP],
  ] as const) {
    await ip(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    await ip(ns, 'link', 'set', 'eth0', 'up');
    await ip(ns, 'link', 'set', 'lo', 'up');
  }
  app = spawn('ip', ['netns', 'exec', server, process.execPath, '-e', APP], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(app.stdout ?? app, 'data');

  const compiled = policy.compile(
    [
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'bench', namespace: 'bench' },
        spec: {
          endpointSelector: { matchLabels: { app: 'server' } },
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { app: 'client' } }],
              toPorts: [
                {
                  ports: [{ port: '8080', protocol: 'TCP' }],
                  rules: { http: [{ method: 'POST', path: '/v1/charge' }] },
                },
              ],
            },
          ],
        },
      },
    ],
    {
      pods: [
        { namespace: 'bench', name: 'client', labels: { app: 'client' }, ips: [CLIENT_IP] },
        { namespace: 'bench', name: 'server', labels: { app: 'server' }, ips: [SERVER_IP] },
      ],
    },
  );
  const [config] = policy.l7Configs(compiled);
  if (!config) throw new Error('the policy gave no L7 config');
  const failed = await proxies.reconcile([{ key: 'bench/server', netns: server, config }]);
  if (failed.size > 0) throw new Error([...failed.values()].join('; '));
  const rssOf = (pid: number | undefined) => {
    const kib = pid ? /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] : undefined;
    return kib ? Number(kib) / 1024 : undefined;
  };
  const rssAtStart = rssOf(proxies.status()[0]?.pid);

  const { stdout } = await exec(
    'ip',
    ['netns', 'exec', client, process.execPath, '-e', CLIENT, SERVER_IP, String(REQUESTS), String(BLOCK)],
    { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
  );
  const t = timesSchema.parse(JSON.parse(stdout));
  const result = {
    proxyRssMiB: { atStart: rssAtStart, afterRun: rssOf(proxies.status()[0]?.pid) },
    requestsPerPath: { keptAlive: t.proxied.length, newConnection: t.proxiedNew.length },
    keptAlive: {
      proxiedUs: median(t.proxied),
      straightUs: median(t.straight),
      ratio: median(t.proxied) / median(t.straight),
      proxiedP95Us: p95(t.proxied),
      straightP95Us: p95(t.straight),
    },
    newConnection: {
      proxiedUs: median(t.proxiedNew),
      straightUs: median(t.straightNew),
      ratio: median(t.proxiedNew) / median(t.straightNew),
    },
  };
  if (JSON_OUT) console.log(JSON.stringify(result));
  else {
    const us = (n: number) => `${n.toFixed(0)} µs`;
    console.log(`allowed POST /v1/charge, median of ${t.proxied.length} per path (kept-alive connection):`);
    console.log(
      `  through the L7 proxy ${us(result.keptAlive.proxiedUs)} (p95 ${us(result.keptAlive.proxiedP95Us)}), ` +
        `straight ${us(result.keptAlive.straightUs)} (p95 ${us(result.keptAlive.straightP95Us)}): ` +
        `${result.keptAlive.ratio.toFixed(2)}x`,
    );
    console.log(`new connection per request, median of ${t.proxiedNew.length} per path:`);
    console.log(
      `  through the L7 proxy ${us(result.newConnection.proxiedUs)}, straight ${us(result.newConnection.straightUs)}: ` +
        `${result.newConnection.ratio.toFixed(2)}x`,
    );
    const mib = (n: number | undefined) => (n === undefined ? '?' : `${n.toFixed(0)} MiB`);
    console.log(
      `the proxy's RSS: ${mib(result.proxyRssMiB.atStart)} at start, ${mib(result.proxyRssMiB.afterRun)} after the run`,
    );
  }
} finally {
  await proxies.stop();
  app?.kill('SIGKILL');
  for (const ns of [client, server]) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
