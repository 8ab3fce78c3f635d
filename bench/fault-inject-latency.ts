// Benchmark: time to inject and time to revert a fault, from the node
// agent's activity call to the kernel enforcing it (inject returns once the
// tcx link exists: from that syscall on, packets meet the program) and to
// the kernel no longer enforcing it (revert returns once the link is gone and
// the pins removed). Every try is checked with a real datagram: dropped while
// injected, delivered after the revert. p50/p95 over N tries.
//   node bench/fault-inject-latency.ts [N]    (default 50; needs root; target p95 < 100 ms each)
import { createNodeAgentActivities } from '../activities/index.ts';
import { ADDR, createTopology, IFACE } from '../test/faults/helpers/netns.ts';
import { Traffic } from '../test/faults/helpers/nsproc.ts';

const N = Number(process.argv[2] ?? 50);
const PORT = 9000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

const topology = await createTopology();
const traffic = await Traffic.start(topology.client, topology.server);
// The server namespace plays the node: the fault sits on its interface's ingress.
const agent = createNodeAgentActivities({ node: 'bench', nodeNetns: topology.server });
const inject: number[] = [];
const revert: number[] = [];

async function delivered(): Promise<number> {
  await traffic.reset();
  await traffic.udp(ADDR.server, PORT, 1);
  await new Promise((done) => setTimeout(done, 20));
  return (await traffic.stats())[String(PORT)]?.received ?? 0;
}

try {
  await agent.capabilities(); // probed once per agent process, as in production
  for (let i = 0; i < N; i++) {
    const faultId = `bench-latency-${i}`;
    const t0 = performance.now();
    await agent.inject({
      faultId,
      key: 't0',
      target: { node: 'bench', interface: IFACE },
      kind: 'drop',
      match: { direction: 'ingress', protocol: 'udp', dstPorts: { from: PORT, to: PORT }, peers: [] },
      magnitude: { dropPpm: 1_000_000 },
      deadline: new Date(Date.now() + 60_000).toISOString(),
    });
    inject.push(performance.now() - t0);
    if ((await delivered()) !== 0) throw new Error(`try ${i}: a datagram got through the injected fault`);
    const t1 = performance.now();
    const result = await agent.revert({ faultId });
    revert.push(performance.now() - t1);
    if (!result.found) throw new Error(`try ${i}: revert found nothing`);
    if ((await delivered()) !== 1) throw new Error(`try ${i}: a datagram was lost after the revert`);
  }
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(8)} p50 ${percentile(xs, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(xs, 95).toFixed(1).padStart(6)} ms   max ${Math.max(
      ...xs,
    )
      .toFixed(1)
      .padStart(6)} ms   ${percentile(xs, 95) < 100 ? 'ok' : 'MISSED'} (target p95 < 100 ms)`;
  console.log(`inject and revert through the node agent's activities, ${N} tries, each checked with a datagram\n`);
  console.log(row('inject', inject));
  console.log(row('revert', revert));
} finally {
  for (let i = 0; i < N; i++) await agent.revert({ faultId: `bench-latency-${i}` }).catch(() => undefined);
  await traffic.stop();
  await topology.destroy();
}
