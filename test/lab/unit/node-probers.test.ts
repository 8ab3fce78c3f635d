// Readiness probe attempts run from inside a node's network namespace, as a
// kubelet probes from its node: a listener only that namespace can reach
// answers the node's prober and not this process; the failures read as the
// kubelet words them. Needs root for the throw-away namespace.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pino from 'pino';
import { NodeProbers } from '../../../lab/simulator/node-probers.ts';
import { runAttempt } from '../../../lab/simulator/readiness.ts';
import type { LabNode } from '../../../lab/topology.ts';

const root = process.getuid?.() === 0;
const suite = root ? describe : describe.skip;
if (!root) console.warn('SKIPPED node prober tests: they need root (a throw-away network namespace)');

const netns = `nightshift-probers-test-${process.pid}`;
const node = { name: 'test-node', netns } as LabNode;
const PORT = 47_123;

suite('node probers', () => {
  let listener: ChildProcess;
  const probers = new NodeProbers(pino({ level: 'silent' }));

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    // Listens on the namespace's own loopback: nothing outside it can connect.
    listener = spawn('ip', [
      'netns',
      'exec',
      netns,
      process.execPath,
      '-e',
      `require('node:http').createServer((q, s) => s.writeHead(q.url === '/healthz' ? 200 : 503).end()).listen(${PORT}, '127.0.0.1', () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve) => listener.stdout?.once('data', () => resolve()));
  });

  afterAll(() => {
    probers.stop();
    listener?.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', netns]);
  });

  test("an attempt runs in the node's namespace: what only it can reach answers there, not here", async () => {
    const attempt = { kind: 'tcp', host: '127.0.0.1', port: PORT, timeoutMs: 1000 } as const;
    expect(await probers.run(node, attempt)).toEqual({ ok: true });
    expect(await runAttempt(attempt)).toEqual({
      ok: false,
      detail: `dial tcp 127.0.0.1:${PORT}: connect: connection refused`,
    });
  });

  test('httpGet: 2xx is ready, another status says it as the kubelet does', async () => {
    const get = (path: string) => ({ kind: 'http', host: '127.0.0.1', port: PORT, path, timeoutMs: 1000 }) as const;
    expect(await probers.run(node, get('/healthz'))).toEqual({ ok: true });
    expect(await probers.run(node, get('/other'))).toEqual({
      ok: false,
      detail: 'HTTP probe failed with statuscode: 503',
    });
  });

  test('no answer in time is an i/o timeout; a refused connect says so', async () => {
    // The namespace drops SYNs to one port: the connect waits out its timeout.
    execFileSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], {
      input: `table inet probers_test {\n chain input {\n type filter hook input priority 0; policy accept;\n tcp dport ${PORT + 1} drop\n }\n}\n`,
    });
    expect(await probers.run(node, { kind: 'tcp', host: '127.0.0.1', port: PORT + 1, timeoutMs: 300 })).toEqual({
      ok: false,
      detail: `dial tcp 127.0.0.1:${PORT + 1}: i/o timeout`,
    });
    expect(await probers.run(node, { kind: 'tcp', host: '127.0.0.1', port: PORT + 2, timeoutMs: 300 })).toEqual({
      ok: false,
      detail: `dial tcp 127.0.0.1:${PORT + 2}: connect: connection refused`,
    });
  });

  test('a prober that dies is started again on the next attempt', async () => {
    // The helper is the process in the namespace that is not the listener.
    const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const pid of pids.filter((p) => Number(p) !== listener.pid)) process.kill(Number(pid), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const attempt = { kind: 'tcp', host: '127.0.0.1', port: PORT, timeoutMs: 1000 } as const;
    const first = await probers.run(node, attempt);
    const second = first.ok ? first : await probers.run(node, attempt);
    expect(second).toEqual({ ok: true });
  });
});
