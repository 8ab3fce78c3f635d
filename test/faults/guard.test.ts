// The node agent trusts nothing it receives. Whatever sent the request (a
// workflow, a forged Temporal client), the agent checks it with the fault's
// own field rules, refuses network namespaces outside the runtime's
// directories and pods that share the node's network, cuts the deadline to
// its own ceiling, and keeps its protected peers (its control plane) out of
// every match, in the kernel: a drop-everything fault on the node's
// interface still lets the API server through. A fault touches a protected
// peer only when it names its exact address and its requester has the role.
import type { WorkflowFailedError } from '@temporalio/client';
import { createNodeAgentActivities } from '../../activities/faults/index.ts';
import { nsfault } from '../../bpf/index.ts';
import type { InjectRequest, ProtectedPeer } from '../../model/index.ts';
import { faultStatusQuery } from '../../workflows/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { ADDR, createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { Traffic } from './helpers/nsproc.ts';
import { faultId, nodeName, startHarness, until, type Harness } from './helpers/workers.ts';

const PROTECTED: ProtectedPeer[] = [
  { what: 'API server', address: ADDR.server },
  { what: 'API server', address: ADDR.server6 },
];
const MAX_TTL_MS = 5_000;

describe('what the node agent refuses and protects', () => {
  let topology: Topology;
  let traffic: Traffic;
  let harness: Harness;
  let agent: ReturnType<typeof createNodeAgentActivities>;
  const node = nodeName();
  const ids: string[] = [];

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    // The client namespace plays the node: faults sit on its veth0, towards the server.
    const spec = { node, nodeNetns: topology.client, maxTtlMs: MAX_TTL_MS, protectedPeers: PROTECTED };
    agent = createNodeAgentActivities(spec);
    harness = await startHarness({ agents: [spec] });
  });

  afterEach(async () => {
    expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  /** This test's attachments (the pin root is shared with whatever else runs on the machine). */
  const attached = async (id: string) => (await agent.list()).filter((a) => a.faultId === id);

  /** Drop everything the node sends on veth0: every protocol, every peer. */
  const dropAll = (id: string, extra: Partial<InjectRequest> = {}): InjectRequest => ({
    faultId: id,
    key: 't0',
    target: { node, interface: IFACE },
    kind: 'drop',
    match: { direction: 'egress', protocol: 'any', peers: [] },
    magnitude: { dropPpm: 1_000_000 },
    deadline: new Date(Date.now() + 60_000).toISOString(),
    ...extra,
  });

  const forged: [string, (id: string) => unknown, RegExp][] = [
    ['a fault id that climbs out of the pin root', () => dropAll('../escape'), /faultId: expected a safe fault id/],
    [
      'a network namespace path outside the runtime directories',
      (id) => dropAll(id, { target: { node, interface: IFACE, netns: '/run/netns/../../proc/1/ns/net' } }),
      /target\.netns: expected a network namespace name, or a path under \/run\/netns/,
    ],
    [
      'a pod whose namespace is any file the agent can open',
      (id) =>
        dropAll(id, {
          target: { node, pod: { namespace: 'production', name: 'cart-0', ip: ADDR.server, netns: '/tmp/x' } },
        }),
      /target\.pod\.netns: expected a network namespace name/,
    ],
    [
      'a drop rate over 100 %',
      (id) => dropAll(id, { magnitude: { dropPpm: 2_000_000 } }),
      /magnitude\.dropPpm: Too big/,
    ],
    [
      'a peer that is not a CIDR',
      (id) => dropAll(id, { match: { direction: 'egress', protocol: 'any', peers: ['api-server'] } }),
      /match\.peers\[0\]: expected an IPv4 or IPv6 CIDR/,
    ],
    [
      'a field the spec does not have',
      (id) => ({ ...dropAll(id), privileged: true }),
      /Unrecognized key: "privileged"/,
    ],
    ['a drop without a rate', (id) => dropAll(id, { magnitude: {} }), /a drop needs magnitude\.dropPpm/],
    ['a deadline that is not a time', (id) => dropAll(id, { deadline: 'forever' }), /deadline: Invalid ISO datetime/],
  ];

  test.each(forged)(
    '%s is refused by the agent itself, naming the field; nothing is attached',
    async (_what, make, message) => {
      const id = faultId('forged');
      ids.push(id);
      // Untyped on purpose: this is what a forged request looks like on the wire.
      await expect(agent.inject(make(id) as InjectRequest)).rejects.toMatchObject({
        type: 'InvalidInput',
        message: expect.stringMatching(message),
      });
      expect(await attached(id)).toEqual([]);
    },
  );

  test("a pod that shares the node's network (its namespace, or its IP) is refused as hostNetwork", async () => {
    const id = faultId('hostnet');
    ids.push(id);
    const pod = { namespace: 'production', name: 'node-exporter-0', ip: ADDR.server };
    await expect(
      agent.inject(dropAll(id, { target: { node, pod: { ...pod, netns: topology.client } } })),
    ).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(/names the node's own network namespace/),
    });
    await expect(
      agent.inject(dropAll(id, { target: { node, pod: { ...pod, ip: ADDR.client } } })),
    ).rejects.toMatchObject({ type: 'Refused', message: expect.stringMatching(/an address of the node.*hostNetwork/) });
    expect(await attached(id)).toEqual([]);
  });

  test("a deadline past the agent's ceiling is cut to it, in the plan and in the kernel", async () => {
    const id = faultId('ttl');
    ids.push(id);
    const asked = new Date(Date.now() + 10 * 60_000).toISOString();
    const result = await agent.inject(
      dropAll(id, {
        match: { direction: 'egress', protocol: 'tcp', dstPorts: { from: 9, to: 9 }, peers: [] },
        deadline: asked,
      }),
    );
    try {
      expect(result.plan.clampedFrom).toBe(asked);
      expect(Date.parse(result.plan.deadline)).toBeLessThan(Date.parse(asked));
      // The kernel's own deadline, read back from the program's config map.
      const [mine] = await attached(id);
      expect(mine?.deadlineInMs).toBeLessThanOrEqual(MAX_TTL_MS);
      expect(mine?.deadlineInMs).toBeGreaterThan(0);
    } finally {
      await agent.revert({ faultId: id });
    }
  });

  test('drop everything on the node interface: the protected peer still answers, IPv4 and IPv6; others do not', async () => {
    const id = faultId('protect');
    ids.push(id);
    const injected = await agent.inject(dropAll(id));
    try {
      expect(injected.plan.protected).toEqual(PROTECTED);
      const shown = await nsfault.show([injected.plan.pin]);
      expect(shown.faults[0]?.match.keep).toBe(3); // IPv4 and IPv6 addresses kept out in the program
      expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
      expect((await traffic.tcp(ADDR.server6, 8080)).ok).toBe(true);
      expect((await traffic.tcp(ADDR.matched, 8080, 800)).ok).toBe(false);
      expect((await traffic.tcp(ADDR.matched6, 8080, 800)).ok).toBe(false);
    } finally {
      await agent.revert({ faultId: id });
    }
    expect((await traffic.tcp(ADDR.matched, 8080)).ok).toBe(true);
  });

  test("a protected peer with a port keeps that service only: the same host's other port is the fault's", async () => {
    const id = faultId('port');
    ids.push(id);
    const apiOnly = createNodeAgentActivities({
      node,
      nodeNetns: topology.client,
      maxTtlMs: MAX_TTL_MS,
      protectedPeers: [{ what: 'API server', address: ADDR.server, port: 8080 }],
    });
    const injected = await apiOnly.inject(dropAll(id, { match: { direction: 'egress', protocol: 'tcp', peers: [] } }));
    try {
      expect(injected.plan.protected).toEqual([{ what: 'API server', address: ADDR.server, port: 8080 }]);
      expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
      expect((await traffic.tcp(ADDR.server, 8081, 800)).ok).toBe(false);
    } finally {
      await apiOnly.revert({ faultId: id });
    }
    expect((await traffic.tcp(ADDR.server, 8081)).ok).toBe(true);
  });

  test('a peer wider than the protected address does not reach it: only an exact name does', async () => {
    const id = faultId('wide');
    ids.push(id);
    const injected = await agent.inject(
      dropAll(id, { match: { direction: 'egress', protocol: 'tcp', peers: ['10.77.0.0/16', '10.78.0.0/16'] } }),
    );
    try {
      expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
      expect((await traffic.tcp(ADDR.matched, 8080, 800)).ok).toBe(false);
      expect(injected.plan.protected?.map((p) => p.address)).toContain(ADDR.server);
    } finally {
      await agent.revert({ faultId: id });
    }
  });

  test('naming a protected peer exactly is Forbidden without the role, nothing attached', async () => {
    const id = faultId('named');
    ids.push(id);
    await expect(
      agent.inject(dropAll(id, { match: { direction: 'egress', protocol: 'tcp', peers: [`${ADDR.server}/32`] } })),
    ).rejects.toMatchObject({
      type: 'Forbidden',
      message: expect.stringMatching(/names API server \(10\.77\.0\.2\).*chaos-admin role/),
    });
    expect(await attached(id)).toEqual([]);
  });

  test('through the workflow: a requester with chaos-admin may name the protected peer; without it the fault is refused', async () => {
    const spec = {
      target: { node, interface: IFACE },
      kind: 'drop' as const,
      match: { direction: 'egress' as const, protocol: 'tcp' as const, peers: [`${ADDR.server}/32`] },
      magnitude: { percent: 100 },
      duration: '1m',
      verdictAfter: '500ms',
    };
    const refusedId = faultId('norole');
    ids.push(refusedId);
    const refused = await harness.start(spec, {
      id: refusedId,
      requestedBy: { id: 'carol', via: 'test', roles: ['chaos-operator'] },
    });
    const err = await refused.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'Forbidden' });
    expect(await refused.query(faultStatusQuery)).toMatchObject({ state: 'refused', injected: [] });

    const allowedId = faultId('admin');
    ids.push(allowedId);
    const allowed = await harness.start(spec, {
      id: allowedId,
      requestedBy: { id: 'alice', via: 'test', roles: ['chaos-operator', 'chaos-admin'] },
    });
    const holding = await until(
      () => allowed.query(faultStatusQuery),
      (s) => s.state === 'holding',
      'the fault to hold',
    );
    expect(holding.undo[0]?.protected).toEqual([{ what: 'API server', address: ADDR.server6 }]);
    expect((await traffic.tcp(ADDR.server, 8080, 800)).ok).toBe(false);
    await allowed.cancel();
    await allowed.result().catch(() => undefined);
    expect((await traffic.tcp(ADDR.server, 8080)).ok).toBe(true);
  });
});
