// Bad specs are refused by the fault workflow with a message naming the
// field, before any activity runs: nothing is attached.
import { WorkflowFailedError } from '@temporalio/client';
import { faultStatusQuery, type FaultSpec } from '../../workflows/index.ts';
import { CLEAN, leftovers } from './helpers/clean.ts';
import { createTopology, IFACE, type Topology } from './helpers/netns.ts';
import { faultId, nodeName, startHarness, type Harness } from './helpers/workers.ts';

describe('bad fault specs', () => {
  let topology: Topology;
  let harness: Harness;
  let node: string;

  beforeAll(async () => {
    topology = await createTopology();
    node = nodeName();
    harness = await startHarness({ agents: [{ node, nodeNetns: topology.server }] });
  });

  afterAll(async () => {
    await harness?.stop();
    await topology?.destroy();
  });

  const good = (): FaultSpec => ({
    target: { node, interface: IFACE },
    kind: 'drop',
    match: { direction: 'ingress', protocol: 'tcp', dstPorts: 8080 },
    magnitude: { percent: 50 },
    duration: '1m',
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['a negative percent', () => ({ ...good(), magnitude: { percent: -5 } }), /magnitude\.percent: Too small/],
    [
      'an unknown protocol',
      () => ({ ...good(), match: { direction: 'ingress', protocol: 'sctp' } }),
      /match\.protocol: Invalid option/,
    ],
    [
      'port 70000',
      () => ({ ...good(), match: { direction: 'ingress', protocol: 'tcp', dstPorts: 70000 } }),
      /match\.dstPorts: port 70000 is out of range/,
    ],
    [
      'a forbidden namespace',
      () => ({ ...good(), target: { namespace: 'kube-system', selector: 'k8s-app=kube-dns' } }),
      /target\.namespace: faults are not allowed in "kube-system"/,
    ],
    ['a duration over the maximum', () => ({ ...good(), duration: '2h' }), /duration: 2h is over the maximum of 10m/],
    [
      'a stop condition naming an action instead of a catalogue probe',
      () => ({ ...good(), stopWhen: [{ probe: 'cordonNode' }] }),
      /stopWhen\[0\]\.probe: unknown probe "cordonNode" \(a stop condition names a catalogue probe: checkout-probe, http, sli, promql\)/,
    ],
    [
      'a network namespace outside the runtime directories',
      () => ({ ...good(), target: { node, interface: IFACE, netns: '/etc/../proc/1/ns/net' } }),
      /target\.netns: expected a network namespace name, or a path under \/run\/netns/,
    ],
  ];

  test.each(cases)('%s is refused, naming the field; nothing is attached', async (_what, spec, message) => {
    const id = faultId('bad');
    // The client is typed to FaultSpec; a bad spec arrives from outside (YAML, Slack, a game day) untyped.
    const handle = await harness.start(spec() as FaultSpec, { id });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause?.message).toMatch(message);
    expect(cause).toMatchObject({ type: 'InvalidInput' });
    const status = await handle.query(faultStatusQuery);
    expect(status).toMatchObject({ state: 'refused', undo: [], injected: [] });
    expect(await leftovers(topology, [id])).toEqual(CLEAN);
  });
});
