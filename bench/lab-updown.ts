// Figures for the lab: `lab up` time from built binaries, `lab down` time,
// and the memory (RSS) of every lab process, measured after the shop has run
// under the probe for a while. Run as root: node bench/lab-updown.ts [rounds]
// Prints a table and, last, one JSON line with every figure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labStatus, labUp, probeSummary, readLedger, freePort } from '../lab/index.ts';
import { loadConfig } from '../worker/index.ts';

const rounds = Number(process.argv[2] ?? 3);
const SETTLE_SECONDS = 20;

function rssMiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Round {
  upSeconds: number;
  downSeconds: number;
  rssMiB: Record<string, number>;
  totalRssMiB: number;
  steps: Array<{ step: string; seconds: number }>;
  probe: { successRate: number; p50Ms: number; p99Ms: number };
}

async function round(): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-lab-bench-'));
  const config = loadConfig({
    NIGHTSHIFT_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
  });
  try {
    const up = await labUp({ config });
    await sleep(SETTLE_SECONDS * 1000);
    const status = await labStatus(dataDir);
    if (!('processes' in status)) throw new Error('lab not up');
    const rss: Record<string, number> = {};
    for (const p of status.processes) rss[p.name] = rssMiB(p.pid);
    for (const pod of readLedger(join(status.labDir, 'pods.json'))) {
      rss[`pod ${pod.namespace}/${pod.name}`] = pod.processes.reduce((sum, p) => sum + rssMiB(p.pid), 0);
    }
    const probe = await probeSummary(SETTLE_SECONDS - 2);
    const down = await labDown(dataDir);
    return {
      upSeconds: up.seconds,
      downSeconds: down.seconds,
      rssMiB: rss,
      totalRssMiB: Object.values(rss).reduce((a, b) => a + b, 0),
      steps: status.steps,
      probe: { successRate: probe.successRate, p50Ms: probe.p50Ms, p99Ms: probe.p99Ms },
    };
  } finally {
    await labDown(dataDir).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Round[] = [];
for (let i = 0; i < rounds; i++) {
  const r = await round();
  results.push(r);
  console.log(
    `round ${i + 1}: up ${r.upSeconds.toFixed(1)} s, down ${r.downSeconds.toFixed(1)} s, RSS ${r.totalRssMiB.toFixed(0)} MiB, probe ${(r.probe.successRate * 100).toFixed(1)} % p50 ${r.probe.p50Ms} ms`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const last = results.at(-1);
if (last) {
  console.log('\nRSS by process (last round, MiB):');
  for (const [name, mib] of Object.entries(last.rssMiB).sort((a, b) => b[1] - a[1]))
    console.log(`  ${mib.toFixed(0).padStart(5)}  ${name}`);
  console.log('\nlab up steps (last round, s):');
  for (const s of last.steps) console.log(`  ${s.seconds.toFixed(1).padStart(5)}  ${s.step}`);
}
console.log(
  JSON.stringify({
    rounds,
    upSecondsMedian: median(results.map((r) => r.upSeconds)),
    downSecondsMedian: median(results.map((r) => r.downSeconds)),
    totalRssMiBMedian: median(results.map((r) => r.totalRssMiB)),
    up: results.map((r) => r.upSeconds),
    down: results.map((r) => r.downSeconds),
    rss: results.map((r) => Math.round(r.totalRssMiB)),
  }),
);
