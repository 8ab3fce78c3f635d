// Benchmark: what a drop fault costs the traffic it does NOT target, the way
// the common chaos tools do it (iptables, one DROP rule per target) next to
// nightshift's program (one tc program, the targets as peer prefixes), with
// 1, 100 and 1,000 targets configured. UDP across a veth pair between two
// namespaces, sender and receiver of our own (bench/fault-blast.ts); both
// mechanisms sit on the sender's egress path. Rounds interleave the
// configurations; each figure is the median delivered packets per second,
// and the ratio is to the same pair with no rules at all.
//   node bench/fault-iptables.ts [ROUNDS] [SECONDS]    (default 3 2; needs root)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNodeAgentActivities } from '../activities/index.ts';
import { run } from '../bpf/index.ts';
import { ADDR, createTopology, IFACE } from '../test/faults/helpers/netns.ts';

const ROUNDS = Number(process.argv[2] ?? 3);
const MS = Number(process.argv[3] ?? 2) * 1000;
const TARGETS = [1, 100, 1000];
const PORT = 9000;
const blast = fileURLToPath(new URL('./fault-blast.ts', import.meta.url));

/** Target pod IPs: none of them is the receiver, so every packet passes every check. */
const targets = (n: number) => Array.from({ length: n }, (_, i) => `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}`);

function inNetns(netns: string, args: string[]) {
  return spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, blast, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

const topology = await createTopology();
const receiver = inNetns(topology.server, ['recv', String(PORT)]);
const lines = createInterface({ input: receiver.stdout })[Symbol.asyncIterator]();
const nextLine = async () => JSON.parse(String((await lines.next()).value)) as Record<string, number>;
const agent = createNodeAgentActivities({ node: 'bench', nodeNetns: topology.client });

async function measure(): Promise<number> {
  const sender = inNetns(topology.client, ['send', ADDR.server, String(PORT), String(MS)]);
  let out = '';
  sender.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((done) => sender.once('exit', done));
  await new Promise((done) => setTimeout(done, 100));
  receiver.stdin.write('count\n');
  const { received = 0 } = await nextLine();
  const { ms = MS } = JSON.parse(out) as { ms?: number };
  return (received / ms) * 1000;
}

interface Config {
  name: string;
  apply(): Promise<void>;
  remove(): Promise<void>;
}

const iptables = (n: number): Config => ({
  name: `iptables ${n}`,
  async apply() {
    const rules = targets(n).map((ip) => `-A OUTPUT -d ${ip}/32 -p udp -m udp --dport ${PORT} -j DROP`);
    const input = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ...rules,
      'COMMIT',
      '',
    ].join('\n');
    await run('iptables-restore', [], { netns: topology.client, input });
  },
  async remove() {
    await run('iptables', ['-F', 'OUTPUT'], { netns: topology.client });
  },
});

const ebpf = (n: number): Config => ({
  name: `ebpf ${n}`,
  async apply() {
    await agent.inject({
      faultId: `bench-ipt-${n}`,
      key: 't0',
      target: { node: 'bench', interface: IFACE },
      kind: 'drop',
      match: {
        direction: 'egress',
        protocol: 'udp',
        dstPorts: { from: PORT, to: PORT },
        peers: targets(n).map((ip) => `${ip}/32`),
      },
      magnitude: { dropPpm: 1_000_000 },
      deadline: new Date(Date.now() + 600_000).toISOString(),
    });
  },
  async remove() {
    await agent.revert({ faultId: `bench-ipt-${n}` });
  },
});

const configs: Config[] = [
  { name: 'none', apply: async () => undefined, remove: async () => undefined },
  ...TARGETS.flatMap((n) => [iptables(n), ebpf(n)]),
];

try {
  await nextLine(); // receiver ready
  const samples = new Map<string, number[]>(configs.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of configs) {
      await config.apply();
      try {
        samples.get(config.name)?.push(await measure());
      } finally {
        await config.remove();
      }
    }
  }
  const median = (name: string) => {
    const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const none = median('none');
  const k = (pps: number) => `${(pps / 1000).toFixed(1)}k`;
  console.log(
    `UDP 64-byte datagrams across a veth pair, median of ${ROUNDS} x ${MS / 1000} s; no rules: ${k(none)} pps\n`,
  );
  console.log(
    `${'targets'.padEnd(8)} ${'iptables pps'.padStart(13)} ${'x none'.padStart(7)}   ${'eBPF pps'.padStart(9)} ${'x none'.padStart(7)}   eBPF / iptables`,
  );
  for (const n of TARGETS) {
    const ipt = median(`iptables ${n}`);
    const ours = median(`ebpf ${n}`);
    console.log(
      `${String(n).padEnd(8)} ${k(ipt).padStart(13)} ${(ipt / none).toFixed(2).padStart(7)}   ${k(ours).padStart(9)} ${(ours / none).toFixed(2).padStart(7)}   ${(ours / ipt).toFixed(2)}`,
    );
  }
} finally {
  receiver.stdin.end();
  for (const n of TARGETS) await agent.revert({ faultId: `bench-ipt-${n}` }).catch(() => undefined);
  await topology.destroy();
}
