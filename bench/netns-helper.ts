// What one measurement helper costs the node it runs on: a node agent starts
// `node helper.ts` inside each network namespace it measures from
// (activities/vantage/run.ts), several at once in a gather, and keeps it
// while it is used.
// Started cold, against started with the compile cache the collectors give
// it, alternating, on the same task (one TCP connect to a local listener;
// this namespace, so no root needed). CPU of the helper process, per start.
//
//   node bench/netns-helper.ts [--starts 10] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELPER = fileURLToPath(new URL('../activities/vantage/helper.ts', import.meta.url));

const { values } = parseArgs({
  options: { starts: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
});
const starts = Number(values.starts);

const listener = createServer((socket) => socket.end()).listen(0, '127.0.0.1');
await new Promise((resolve) => listener.once('listening', resolve));
const port = (listener.address() as { port: number }).port;
const line = () =>
  `${JSON.stringify({
    id: 1,
    task: {
      kind: 'tcp',
      plan: {
        targets: [{ name: 'local', host: '127.0.0.1', port }],
        attempts: 1,
        timeoutMs: 1000,
        intervalMs: 0,
        endBy: Date.now() + 5000,
      },
    },
  })}\n`;
const cache = mkdtempSync(join(tmpdir(), 'nightshift-bench-compile-cache-'));

/** CPU (ms) of the children this process has waited for: utime + stime of /proc/self/stat, in clock ticks. */
const childrenMs = (): number => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
};
const start = (env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve, reject) => {
    const before = childrenMs();
    // One task; once it is answered stdin closes and the helper exits, as when its agent stops.
    const child = spawn(process.execPath, ['--no-warnings', HELPER, '60000'], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"id":1')) child.stdin.end();
    });
    child.stdin.write(line());
    child.on('error', reject);
    child.on('exit', () => {
      if (!stdout.includes('"connected"')) return reject(new Error(`unexpected helper output: ${stdout}`));
      resolve(childrenMs() - before);
    });
  });

const cold = { ...process.env, NODE_COMPILE_CACHE: '' };
const cached = { ...process.env, NODE_COMPILE_CACHE: cache };
await start(cached); // fills the cache, as the first gather on a node does
const coldMs: number[] = [];
const cachedMs: number[] = [];
for (let i = 0; i < starts; i++) {
  if (i % 2) {
    coldMs.push(await start(cold));
    cachedMs.push(await start(cached));
  } else {
    cachedMs.push(await start(cached));
    coldMs.push(await start(cold));
  }
}
listener.close();
rmSync(cache, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const summary = { starts, coldMs: median(coldMs), cachedMs: median(cachedMs) };
if (values.json) console.log(JSON.stringify({ ...summary, cold: coldMs, cached: cachedMs }));
else {
  console.log(`${starts} starts each, median CPU per helper start`);
  console.log(`  cold:              ${summary.coldMs} ms`);
  console.log(
    `  from compile cache: ${summary.cachedMs} ms  (${(summary.cachedMs / summary.coldMs).toFixed(2)} of it)`,
  );
}
