// The target disappears mid-fault (a pod deleted or restarted takes its
// interface, or its whole namespace, with it): the revert still succeeds,
// says what it found, and nothing pinned stays behind.
import { faultStatusQuery } from '../../workflows/index.ts';
import { run } from '../../bpf/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

describe('target gone during the hold', () => {
  let harness: Harness;
  let node: string;
  const topologies: Topology[] = [];

  beforeAll(async () => {
    node = nodeName();
    harness = await startHarness({ agents: [{ node }] });
  });

  afterAll(async () => {
    await harness?.stop();
    for (const t of topologies) await t.destroy();
  });

  const removals: [string, (t: Topology) => Promise<void>][] = [
    ['its interface is deleted', (t) => run('ip', ['-n', t.server, 'link', 'del', IFACE]).then(() => undefined)],
    ['its network namespace is deleted', (t) => run('ip', ['netns', 'del', t.server]).then(() => undefined)],
  ];

  test.each(removals)('%s: the revert succeeds, reports it, and leaves no pinned object', async (_what, remove) => {
    const topology = await createTopology();
    topologies.push(topology);
    const id = faultId('gone');
    const handle = await harness.start(
      {
        target: { node, netns: topology.server, interface: IFACE },
        kind: 'drop',
        match: { direction: 'ingress', protocol: 'any' },
        magnitude: { percent: 50 },
        duration: '4s',
        verdictAfter: '500ms',
      },
      { id },
    );
    await until(
      () => handle.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    await remove(topology);
    const result = await handle.result();
    expect(result.state).toBe('completed');
    expect(result.revertErrors).toEqual([]);
    expect(result.reverts).toHaveLength(1);
    expect(result.reverts[0]?.found).toBe(true);
    expect(result.reverts[0]?.attachments[0]?.state).toBe('interface-gone');
    expect(result.reverts[0]?.message).toMatch(/had already disappeared/);
    expect(await leftovers(topology, [id])).toEqual(CLEAN);
  });
});
