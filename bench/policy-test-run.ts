// Benchmark: per-packet cost of the lab's policy program (lab/policy) under
// BPF_PROG_TEST_RUN, side by side with an empty tc program in one run: a
// packet the policy allows and one it denies (POLICY_DENIED, all six lookups
// missed, a drop event written), with 10 and with 1,000 policy entries (one
// per peer identity, as 1,000 client workloads make). Rounds interleave the
// cases; the figure is the median of ROUNDS rounds, in ns per packet.
//   node bench/policy-test-run.ts [ROUNDS] [REPEAT]    (default 101 2000; needs root)
// REPEAT stays under what the 256 KiB ring buffer holds (about 4,600 drop
// events) so every denied packet writes its event; a reader drains the ring
// between runs, as the Hubble stand-in would. Events lost are reported.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPacket, loadEmpty, testRun } from '../bpf/index.ts';
import { policy } from '../lab/index.ts';

const ROUNDS = Number(process.argv[2] ?? 101);
const REPEAT = Number(process.argv[3] ?? 2000);
const id = randomBytes(3).toString('hex');
const pinRoot = `/sys/fs/bpf/nightshift-bench-policy-${id}`;
const buildDir = mkdtempSync(join(tmpdir(), 'nightshift-bench-policy-'));

const SERVER = '10.60.0.1';
/** `entries - 1` client pods that the policy lets in on TCP 8080, plus allow-localhost: `entries` entries. */
function scenario(entries: number) {
  // Distinct identities: identityOf hashes into 65,000 numbers, so a few of 1,000 label sets would meet.
  const seen = new Set<number>();
  const clients: policy.ClusterView['pods'] = [];
  for (let i = 0; clients.length < entries - 1; i++) {
    const labels = { role: 'client', app: `c${i}` };
    const identity = policy.podIdentity('bench', labels).id;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const n = clients.length;
    clients.push({ namespace: 'bench', name: `client-${n}`, labels, ips: [`10.61.${n >> 8}.${n & 0xff}`] });
  }
  const compiled = policy.compile(
    [
      {
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'bench', namespace: 'bench' },
        spec: {
          endpointSelector: { matchLabels: { app: 'server' } },
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { role: 'client' } }],
              toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }],
            },
          ],
        },
      },
    ],
    { pods: [...clients, { namespace: 'bench', name: 'server', labels: { app: 'server' }, ips: [SERVER] }] },
  );
  const server = compiled.endpoints.find((e) => e.pod === 'server');
  const count = compiled.entries.filter((e) => e.endpoint === server?.id).length;
  if (count !== entries) throw new Error(`scenario for ${entries} entries made ${count}`);
  return compiled;
}

interface Case {
  name: string;
  prog: string;
  packet: Uint8Array;
  retval: number;
}

async function main(): Promise<void> {
  mkdirSync(pinRoot, { recursive: true });
  await loadEmpty(join(pinRoot, 'empty'));
  const allowed = buildPacket({ src: '10.61.0.0', dst: SERVER, protocol: 'tcp', srcPort: 40000, dstPort: 8080 });
  const denied = buildPacket({ src: '10.61.0.0', dst: SERVER, protocol: 'tcp', srcPort: 40000, dstPort: 9090 });
  const cases: Case[] = [{ name: 'empty tc program', prog: join(pinRoot, 'empty'), packet: allowed, retval: -1 }];
  const datapaths: policy.Datapath[] = [];
  const stops: (() => void)[] = [];
  try {
    for (const n of [10, 1000]) {
      const dp = await policy.loadDatapath({ buildDir, pins: join(pinRoot, `p${n}`) });
      datapaths.push(dp);
      await dp.program(scenario(n));
      stops.push(await dp.watch(() => undefined));
      const prog = join(dp.pins, 'progs', 'to_container');
      cases.push(
        { name: `policy, allowed, ${n} entries`, prog, packet: allowed, retval: -1 },
        { name: `policy, denied (event), ${n} entries`, prog, packet: denied, retval: 2 },
      );
    }
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const r = await testRun(c.prog, c.packet, { repeat: REPEAT });
        if (r.retval !== c.retval) throw new Error(`${c.name}: returned ${r.retval}, expected ${c.retval}`);
        samples.get(c.name)?.push(r.durationNs);
        if (c.retval === 2) await sleep(20); // let the reader drain the ring
      }
    }
    const median = (name: string) => {
      const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    };
    const empty = median('empty tc program');
    console.log(`BPF_PROG_TEST_RUN, median of ${ROUNDS} rounds x ${REPEAT.toLocaleString()} packets (ns per packet)\n`);
    console.log(`${'case'.padEnd(40)} ${'ns'.padStart(6)}  x empty`);
    for (const c of cases)
      console.log(`${c.name.padEnd(40)} ${String(median(c.name)).padStart(6)}  ${(median(c.name) / empty).toFixed(2)}`);
    const lost = (await Promise.all(datapaths.map((d) => d.stats()))).reduce((s, x) => s + x.eventLost, 0);
    const scale = (kind: string) => median(`policy, ${kind}, 1000 entries`) / median(`policy, ${kind}, 10 entries`);
    console.log('');
    console.log(
      `1,000 entries / 10 entries: allowed ${scale('allowed').toFixed(2)}, denied ${scale('denied (event)').toFixed(2)}`,
    );
    console.log(`drop events lost: ${lost} of ${(2 * ROUNDS * REPEAT).toLocaleString()}`);
  } finally {
    for (const stop of stops) stop();
    for (const dp of datapaths) await dp.stop();
  }
}

try {
  await main();
} finally {
  rmSync(pinRoot, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
}
