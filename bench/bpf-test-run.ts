// Benchmark: per-packet cost of the fault program under BPF_PROG_TEST_RUN,
// side by side with an empty tc program in one run. Each case runs REPEAT
// packets per round, rounds interleave the cases (so drift hits all of them
// alike), and the figure is the median of ROUNDS rounds, in ns per packet.
//   node bench/bpf-test-run.ts [ROUNDS] [REPEAT]    (default 15 1000000; needs root)
// Targets (issue 3): failing the cheap checks <= 1.5x empty; a full prefix
// match (and drop) <= 4x empty; 10,000 prefixes <= 2x one prefix. A fifth
// case shows 10,000 prefixes of 17 lengths, which go to the LPM trie.
// Then the lab's policy program (issue 13: an allowed and a denied packet at
// 10 and 1,000 policy entries, as ratios to the empty program), run by
// bench/policy-test-run.ts with its own rounds: its drop events fill a ring
// buffer that a reader drains between runs, so it cannot take a million
// packets per run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  attach,
  buildPacket,
  detachFault,
  ensureBpffs,
  loadEmpty,
  PIN_ROOT,
  testRun,
  type ProgramSpec,
} from '../bpf/index.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const REPEAT = Number(process.argv[3] ?? 1_000_000);
const faultId = `bench-${randomBytes(3).toString('hex')}`;
const emptyDir = join(PIN_ROOT, `${faultId}-empty`);

const TARGET = '10.200.7.9';
const toTarget = buildPacket({ src: '10.1.0.1', dst: TARGET, protocol: 'udp', srcPort: 40000, dstPort: 53 });
const otherProto = buildPacket({ src: '10.1.0.1', dst: TARGET, protocol: 'tcp', srcPort: 40000, dstPort: 80 });
const otherPort = buildPacket({ src: '10.1.0.1', dst: TARGET, protocol: 'udp', srcPort: 40000, dstPort: 123 });

/**
 * `count` distinct prefixes over 10/8, one of which (a /24) holds TARGET.
 * Pod-like by default: /32s and /24s, matched with one hash lookup per
 * length. With `lengths` of 16 to 32 bits, too many for that: the trie.
 */
function prefixes(count: number, lengths: 'pods' | 'mixed' = 'pods'): string[] {
  const out = new Set<string>(['10.200.7.0/24']);
  while (out.size < count) {
    const [a = 0, b = 0, c = 0, d = 0] = randomBytes(4);
    const len = lengths === 'pods' ? (d % 2 ? 32 : 24) : 16 + (d % 17);
    const addr = ((10 << 24) | (a << 16) | (b << 8) | c) >>> 0;
    const masked = len === 32 ? addr : (addr & ~((1 << (32 - len)) - 1)) >>> 0;
    out.add(`${[24, 16, 8, 0].map((s) => (masked >>> s) & 0xff).join('.')}/${len}`);
  }
  return [...out];
}

const base: Omit<ProgramSpec, 'key'> = {
  faultId,
  kind: 'drop',
  protocol: 'udp',
  dstPorts: { from: 53, to: 53 },
  peerIsDst: true,
  dropPpm: 1_000_000,
  ttlMs: 3_600_000,
};

interface Case {
  name: string;
  prog: string;
  packet: Uint8Array;
  retval: number;
}

async function program(key: string, peers: string[] = []): Promise<string> {
  const { attachment } = await attach({ ...base, key, peers });
  return `${attachment.pin}/prog`;
}

async function main(): Promise<void> {
  await ensureBpffs();
  mkdirSync(emptyDir, { recursive: true });
  await loadEmpty(join(emptyDir, 'prog'));
  const noPeers = await program('no-peers');
  const cases: Case[] = [
    { name: 'empty tc program', prog: join(emptyDir, 'prog'), packet: toTarget, retval: -1 },
    { name: 'ours, no match: protocol differs', prog: noPeers, packet: otherProto, retval: -1 },
    { name: 'ours, no match: port differs', prog: noPeers, packet: otherPort, retval: -1 },
    { name: 'ours, match + drop, no prefixes', prog: noPeers, packet: toTarget, retval: 2 },
  ];
  for (const n of [1, 100, 10_000]) {
    cases.push({
      name: `ours, match + drop, ${n} prefixes`,
      prog: await program(`p${n}`, prefixes(n)),
      packet: toTarget,
      retval: 2,
    });
  }
  cases.push({
    name: 'ours, match + drop, 10000 (trie: 17 lengths)',
    prog: await program('trie', prefixes(10_000, 'mixed')),
    packet: toTarget,
    retval: 2,
  });
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const r = await testRun(c.prog, c.packet, { repeat: REPEAT });
      if (r.retval !== c.retval) throw new Error(`${c.name}: returned ${r.retval}, expected ${c.retval}`);
      samples.get(c.name)?.push(r.durationNs);
    }
  }
  const median = (name: string) => {
    const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const empty = median('empty tc program');
  console.log(`BPF_PROG_TEST_RUN, median of ${ROUNDS} rounds x ${REPEAT.toLocaleString()} packets (ns per packet)\n`);
  console.log(`${'case'.padEnd(46)} ${'ns'.padStart(6)}  x empty`);
  for (const c of cases) {
    console.log(`${c.name.padEnd(46)} ${String(median(c.name)).padStart(6)}  ${(median(c.name) / empty).toFixed(2)}`);
  }
  const cheap = Math.max(median('ours, no match: protocol differs'), median('ours, no match: port differs')) / empty;
  const full = median('ours, match + drop, 1 prefixes') / empty;
  const scale = median('ours, match + drop, 10000 prefixes') / median('ours, match + drop, 1 prefixes');
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log('');
  console.log(`cheap-check reject / empty     ${cheap.toFixed(2)}  (target <= 1.5)  ${verdict(cheap <= 1.5)}`);
  console.log(`full prefix match / empty      ${full.toFixed(2)}  (target <= 4)    ${verdict(full <= 4)}`);
  console.log(`10,000 prefixes / 1 prefix     ${scale.toFixed(2)}  (target <= 2)    ${verdict(scale <= 2)}`);
  const trie = median('ours, match + drop, 10000 (trie: 17 lengths)') / median('ours, match + drop, 1 prefixes');
  console.log(`  (10,000 in the trie / 1 prefix ${trie.toFixed(2)}: specs with more than 4 prefix lengths)`);
}

try {
  await main();
} finally {
  await detachFault(faultId);
  rmSync(emptyDir, { recursive: true, force: true });
}
console.log('\nThe lab policy program (lab/policy/policy.bpf.c), the same way (bench/policy-test-run.ts):\n');
const policyRun = spawnSync(process.execPath, [new URL('./policy-test-run.ts', import.meta.url).pathname], {
  stdio: 'inherit',
});
if (policyRun.status !== 0) process.exitCode = 1;
