// Delays. BPF_PROG_TEST_RUN shows the program stamps a matching packet with
// now + delay (within the jitter) and leaves others alone. End to end a
// delay needs the fq qdisc: where the kernel has it, the added latency is
// measured; where it has not (this machine), that test is skipped with the
// reason, and a delay fault is refused naming sch_fq with nothing attached.
import { WorkflowFailedError } from '@temporalio/client';
import { createNodeAgentActivities } from '../../activities/faults/index.ts';
import { attach, buildPacket, detachFault, testRun } from '../../bpf/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { kernelHasFq } from './helpers/fq.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness } from './helpers/workers.ts';

const DELAY_MS = 200;
const JITTER_MS = 20;
const MS = 1_000_000;

const fq = await kernelHasFq();
if (!fq.fq) {
  process.stderr.write(`\n  SKIPPED end-to-end latency test: this kernel has ${fq.why}\n\n`);
}

describe('delay program under BPF_PROG_TEST_RUN', () => {
  const id = faultId('delay-run');
  let prog: string;

  beforeAll(async () => {
    const { attachment } = await attach({
      faultId: id,
      key: 't0',
      kind: 'delay',
      protocol: 'udp',
      dstPorts: { from: 9000, to: 9000 },
      peerIsDst: true,
      delayMs: DELAY_MS,
      jitterMs: JITTER_MS,
      ttlMs: 60_000,
    });
    prog = `${attachment.pin}/prog`;
  });

  afterAll(async () => {
    await detachFault(id);
  });

  const matching = buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 4000, dstPort: 9000 });

  test('a matching packet leaves with tstamp = now + delay, within the jitter, every time', async () => {
    const offsets: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await testRun(prog, matching);
      expect(r.retval).toBe(-1); // passed on (TCX_NEXT), to be held by fq
      expect(r.tstamp).toBeGreaterThanOrEqual(r.beforeNs + (DELAY_MS - JITTER_MS) * MS);
      expect(r.tstamp).toBeLessThanOrEqual(r.afterNs + (DELAY_MS + JITTER_MS) * MS);
      offsets.push((r.tstamp - r.beforeNs) / MS);
    }
    // The jitter spreads the delays: not one value repeated 200 times.
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(JITTER_MS / 2);
  });

  test('a realtime timestamp already on the packet is not taken as a departure time', async () => {
    const r = await testRun(prog, matching, { tstamp: 5e15 });
    expect(r.tstamp).toBeLessThanOrEqual(r.afterNs + (DELAY_MS + JITTER_MS) * MS);
  });

  test('packets that do not match keep their tstamp untouched', async () => {
    const others = [
      buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 4000, dstPort: 9001 }),
      buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 4000, dstPort: 9000 }),
      buildPacket({ src: 'fd00::1', dst: 'fd00::2', protocol: 'icmp' }),
    ];
    for (const packet of others) {
      const r = await testRun(prog, packet, { tstamp: 12345 });
      expect(r).toMatchObject({ retval: -1, tstamp: 12345 });
    }
  });
});

describe('delay end to end', () => {
  let topology: Topology;
  const ids: string[] = [];

  beforeAll(async () => {
    topology = await createTopology();
  });

  afterEach(async () => {
    expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    await topology?.destroy();
  });

  const latencyTest = fq.fq ? test : test.skip;
  latencyTest(
    `a 100 ms delay on egress adds about 100 ms to each TCP exchange${fq.fq ? '' : ` (skipped: ${fq.why})`}`,
    async () => {
      const traffic = await Traffic.start(topology.client, topology.server);
      const node = nodeName();
      const agent = createNodeAgentActivities({ node, nodeNetns: topology.client });
      const id = faultId('latency');
      ids.push(id);
      const mean = async () => {
        let total = 0;
        for (let i = 0; i < 5; i++) total += (await traffic.tcp(ADDR.server, 8080, 3000)).ms;
        return total / 5;
      };
      try {
        const before = await mean();
        await agent.inject({
          faultId: id,
          key: 't0',
          target: { node, interface: IFACE },
          kind: 'delay',
          match: { direction: 'egress', protocol: 'tcp', dstPorts: { from: 8080, to: 8080 }, peers: [] },
          magnitude: { delayMs: 100, jitterMs: 0 },
          deadline: new Date(Date.now() + 60_000).toISOString(),
        });
        const during = await mean();
        await agent.revert({ faultId: id });
        const after = await mean();
        // Connect (SYN) and request are both delayed once each: 100-250 ms more.
        expect(during - before).toBeGreaterThan(90);
        expect(during - before).toBeLessThan(300);
        expect(after - before).toBeLessThan(50);
      } finally {
        await agent.revert({ faultId: id });
        await traffic.stop();
      }
    },
  );

  const refusalTest = fq.fq ? test.skip : test;
  refusalTest(
    'a delay fault on a node without sch_fq is refused naming the missing feature; nothing is attached',
    async () => {
      const node = nodeName();
      const harness = await startHarness({ agents: [{ node, nodeNetns: topology.client }] });
      const id = faultId('nofq');
      ids.push(id);
      try {
        const handle = await harness.start(
          {
            target: { node, interface: IFACE },
            kind: 'delay',
            match: { direction: 'egress', protocol: 'tcp' },
            magnitude: { delayMs: 200 },
            duration: '30s',
          },
          { id },
        );
        const failure = await handle.result().catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        const cause = (failure as WorkflowFailedError).cause;
        expect(cause?.message).toMatch(/sch_fq/);
        expect(cause?.message).toMatch(/nothing was attached/);
        expect(cause).toMatchObject({ type: 'Unsupported' });
      } finally {
        await harness.stop();
      }
    },
  );
});
