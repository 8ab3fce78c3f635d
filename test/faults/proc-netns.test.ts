// A fault inside a network namespace the agent knows only through a process
// in it, /proc/<pid>/ns/net: what its NetnsLocator answers for a pod whose
// namespace the runtime binds nowhere the agent can see, and what the plan
// of a delay on that pod's eth0 then records. Attach enters the namespace by
// that path, list and revert go through it, and once the process and its
// namespace are gone (the pod deleted) the reconciler still removes the
// attachment, says its interface is gone, and leaves nothing pinned. A drop
// on the interface stands in for the delay (no sch_fq needed): the path is
// recorded, entered and checked the same way for both.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { createNodeAgentActivities, reconcile } from '../../activities/faults/index.ts';
import type { InjectRequest } from '../../model/index.ts';
import { nsfault, run } from '../../bpf/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { createTopology, IFACE, processIn, type Resident, type Topology } from './helpers/netns.ts';
import { faultId, nodeName, until } from './helpers/workers.ts';

interface Pod {
  topology: Topology;
  resident: Resident;
  /** The only way the agent is told to reach the pod's namespace. */
  path: string;
}

describe('a fault in a namespace known only through a process in it', () => {
  const node = nodeName();
  const agent = createNodeAgentActivities({ node });
  const pods: Pod[] = [];
  const ids: string[] = [];

  /** Its own pair of namespaces per test: the second test deletes one. */
  async function pod(): Promise<Pod> {
    const topology = await createTopology();
    const resident = await processIn(topology.server).catch(async (err: unknown) => {
      await topology.destroy();
      throw err;
    });
    const made = { topology, resident, path: `/proc/${resident.pid}/ns/net` };
    pods.push(made);
    return made;
  }

  const request = (id: string, path: string): InjectRequest => ({
    faultId: id,
    key: 't0',
    target: { node, interface: IFACE, netns: path },
    kind: 'drop',
    match: { direction: 'ingress', protocol: 'any', peers: [] },
    magnitude: { dropPpm: 1_000_000 },
    deadline: new Date(Date.now() + 60_000).toISOString(),
  });

  afterEach(async () => {
    for (const { topology } of pods) expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    for (const { topology, resident } of pods) {
      await resident.stop();
      await topology.destroy();
    }
  });

  test('attached inside it by that path, listed with it, and reverted through it', async () => {
    const { topology, path } = await pod();
    const id = faultId('procns');
    ids.push(id);
    const injected = await agent.inject(request(id, path));
    expect(injected.plan).toMatchObject({ netns: path, interface: IFACE, hook: 'ingress' });
    const progs = await nsfault.query(IFACE, { netns: topology.server });
    expect(progs.ingress.filter((p) => p.name === 'nightshift')).toHaveLength(1);
    expect((await agent.list()).filter((a) => a.faultId === id)).toEqual([
      expect.objectContaining({ netns: path, interface: IFACE, interfaceGone: false }),
    ]);
    const reverted = await agent.revert({ faultId: id });
    expect(reverted.attachments).toEqual([expect.objectContaining({ netns: path, state: 'detached' })]);
  });

  test('the pod gone, its process ended and its namespace deleted: the reconciler removes it as interface-gone', async () => {
    const { topology, resident, path } = await pod();
    const id = faultId('procns');
    ids.push(id);
    await agent.inject(request(id, path));
    await resident.stop();
    await run('ip', ['netns', 'del', topology.server]);
    await until(
      async () => (await agent.list()).find((a) => a.faultId === id),
      (a) => a?.interfaceGone === true,
      'the kernel to take the interface',
    );
    const report = await reconcile({ node, faultActive: async (f) => f !== id });
    expect(report.removed.filter((r) => r.faultId === id)).toEqual([
      expect.objectContaining({ faultId: id, reason: 'fault not running', state: 'interface-gone' }),
    ]);
  });
});
