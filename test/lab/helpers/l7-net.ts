// Two throw-away pods for the L7 proxy tests, without a lab: namespaces
// l7t-<id>-client and l7t-<id>-server joined by a veth (10.252.0.1 and .2),
// a small HTTP application in the server (its enforced port and an admin
// port that says how many requests it saw), and HTTP requests made from
// inside the client with real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { run } from '../../../bpf/index.ts';

export const L7T_PREFIX = 'l7t-';
export const CLIENT_IP = '10.252.0.1';
export const SERVER_IP = '10.252.0.2';

export interface L7Net {
  client: string;
  server: string;
  /** Another address for the client, on its eth0. */
  addClientAddress(ip: string): Promise<void>;
  /** The server's namespace made again under the same name (what a pod restart does); what ran in it is killed. */
  remakeServer(): Promise<void>;
  destroy(): Promise<void>;
}

export async function createL7Net(): Promise<L7Net> {
  const id = randomBytes(3).toString('hex');
  const client = `${L7T_PREFIX}${id}-client`;
  const server = `${L7T_PREFIX}${id}-server`;
  const kill = async (ns: string) => {
    if (!existsSync(`/run/netns/${ns}`)) return;
    // Whatever still runs inside (a proxy, the application) goes with it.
    const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))).stdout;
    for (const pid of pids
      .split('\n')
      .map(Number)
      .filter((p) => p > 0))
      process.kill(pid, 'SIGKILL');
    await run('ip', ['netns', 'del', ns]);
  };
  const destroy = async () => {
    for (const ns of [client, server]) await kill(ns);
  };
  const link = async () => {
    await run('ip', ['-n', client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server]);
    for (const [ns, ip] of [
      [client, CLIENT_IP],
      [server, SERVER_IP],
    ] as const) {
      await run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  };
  try {
    for (const ns of [client, server]) await run('ip', ['netns', 'add', ns]);
    await link();
  } catch (err) {
    await destroy();
    throw err;
  }
  const remakeServer = async () => {
    await kill(server);
    // The client's end of the veth went with the server's namespace.
    await run('ip', ['netns', 'add', server]);
    await link();
  };
  const addClientAddress = async (ip: string) => {
    await run('ip', ['-n', client, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
  };
  return { client, server, addClientAddress, remakeServer, destroy };
}

const APP = `
const http = require('node:http');
const [port, admin] = process.argv.slice(1).map(Number);
const seen = [];
let up = 0; const ready = () => { if (++up === 2) console.log('ready'); };
http.createServer((req, res) => {
  seen.push(req.method + ' ' + req.url + ' from ' + req.socket.remoteAddress.replace(/^::ffff:/, ''));
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok ' + req.method + ' ' + req.url + '\\n'));
}).listen(port, ready);
http.createServer((req, res) => res.end(JSON.stringify(seen))).listen(admin, ready);
`;

/** The application: answers every request on `port`; GET on `admin` lists the requests it saw. */
export async function startApp(netns: string, port: number, admin: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', APP, String(port), String(admin)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer | number];
  if (!Buffer.isBuffer(chunk) || !chunk.toString().includes('ready'))
    throw new Error(`application in ${netns} did not start`);
  return child;
}

const CLIENT = `
const http = require('node:http');
const [host, port, reqs, local] = [process.argv[1], Number(process.argv[2]), JSON.parse(process.argv[3]), process.argv[4]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const out = [];
const one = (r) => new Promise((done) => {
  const req = http.request({ host, port, method: r.method, path: r.path, agent, headers: r.headers || {}, ...(local ? { localAddress: local } : {}) }, (res) => {
    let body = ''; res.on('data', (d) => (body += d));
    res.on('end', () => done({ status: res.statusCode, body, reused: req.reusedSocket }));
  });
  req.on('error', (e) => done({ status: 0, body: e.code || e.message, reused: false }));
  req.setTimeout(3000, () => req.destroy(new Error('timeout')));
  req.end(r.body || undefined);
});
(async () => { for (const r of reqs) out.push(await one(r)); console.log(JSON.stringify(out)); process.exit(0); })();
`;

const answersSchema = z.array(z.object({ status: z.number(), body: z.string(), reused: z.boolean() }));

export interface Req {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Requests, one after the other on one kept-alive connection where the server keeps it, from inside `netns` (from `localAddress` if given). */
export async function requests(netns: string, host: string, port: number, reqs: Req[], localAddress?: string) {
  const { stdout } = await run(
    'ip',
    [
      ...['netns', 'exec', netns, process.execPath, '-e', CLIENT, host, String(port), JSON.stringify(reqs)],
      ...(localAddress ? [localAddress] : []),
    ],
    { timeoutMs: 20_000 },
  );
  return answersSchema.parse(JSON.parse(stdout.trim()));
}

/** What the application saw: "METHOD /path from <address>" per request. */
export async function appSaw(netns: string, admin: number): Promise<string[]> {
  const [answer] = await requests(netns, '127.0.0.1', admin, [{ method: 'GET', path: '/' }]);
  return z.array(z.string()).parse(JSON.parse(answer?.body ?? '[]'));
}
