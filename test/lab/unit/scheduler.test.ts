// The lab's scheduler: spreads replicas, respects cordons, taints, nodeSelector and required node affinity.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { chooseNode, SETTLE_MS, waitForNodesToSettle } from '../../../lab/simulator/scheduler.ts';

const node = (name: string, extra: Partial<V1Node['spec']> = {}, labels: Record<string, string> = {}): V1Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: extra,
});
const pod = (name: string, rs = 'rs-a', spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: {
    name,
    namespace: 'production',
    ownerReferences: [{ kind: 'ReplicaSet', uid: rs, name: rs, apiVersion: 'apps/v1' }],
  },
  spec: { containers: [], ...spec },
});
const nodes = [node('lab-node-1'), node('lab-node-2'), node('lab-node-3')];

describe('chooseNode', () => {
  test("a DaemonSet's pod goes to the node its affinity names, however the others are spread", () => {
    // What the DaemonSet controller writes into each pod it makes.
    const forNode = (name: string) => ({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }],
          },
        },
      },
    });
    const placed = new Map([['lab-node-1', [pod('ds-x', 'ds')]]]);
    expect(chooseNode(pod('ds-1', 'ds', forNode('lab-node-1')), nodes, placed)).toEqual({ node: 'lab-node-1' });
    expect(chooseNode(pod('ds-3', 'ds', forNode('lab-node-3')), nodes, new Map())).toEqual({ node: 'lab-node-3' });
    expect(chooseNode(pod('ds-9', 'ds', forNode('lab-node-9')), nodes, new Map())).toEqual({
      reason: '0/3 nodes are available (cordoned, tainted or not matching nodeSelector or node affinity)',
    });
  });

  test('node affinity on labels: any term, every expression; an empty term matches no node', () => {
    const labelled = [node('lab-node-1', {}, { zone: 'a' }), node('lab-node-2', {}, { zone: 'b' }), node('lab-node-3')];
    const affinity = (nodeSelectorTerms: object[]) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
    });
    const notA = affinity([
      {
        matchExpressions: [
          { key: 'zone', operator: 'NotIn', values: ['a'] },
          { key: 'zone', operator: 'Exists' },
        ],
      },
    ]);
    expect(chooseNode(pod('p', 'rs', notA as Partial<V1Pod['spec']>), labelled, new Map())).toEqual({
      node: 'lab-node-2',
    });
    const noZone = affinity([{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }]);
    expect(chooseNode(pod('p', 'rs', noZone as Partial<V1Pod['spec']>), labelled, new Map())).toEqual({
      node: 'lab-node-3',
    });
    expect(chooseNode(pod('p', 'rs', affinity([{}]) as Partial<V1Pod['spec']>), labelled, new Map())).toHaveProperty(
      'reason',
    );
  });

  test('puts a second replica on another node than the first', () => {
    const placed = new Map([['lab-node-1', [pod('a-1')]]]);
    expect(chooseNode(pod('a-2'), nodes, placed)).toEqual({ node: 'lab-node-2' });
  });

  test('prefers the node with fewer pods when replicas are even', () => {
    const placed = new Map([
      ['lab-node-1', [pod('x', 'rs-x')]],
      ['lab-node-2', [pod('y', 'rs-y'), pod('z', 'rs-z')]],
    ]);
    expect(chooseNode(pod('a-1'), nodes, placed)).toEqual({ node: 'lab-node-3' });
  });

  test('never picks a cordoned node or one with an untolerated NoSchedule taint', () => {
    const fenced = [
      node('lab-node-1', { unschedulable: true }),
      node('lab-node-2', { taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] }),
      node('lab-node-3'),
    ];
    expect(chooseNode(pod('a-1'), fenced, new Map([['lab-node-3', [pod('a-0'), pod('b', 'rs-b')]]]))).toEqual({
      node: 'lab-node-3',
    });
    const tolerant = pod('t', 'rs-t', { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(chooseNode(tolerant, fenced, new Map([['lab-node-3', [pod('q', 'rs-q')]]]))).toEqual({ node: 'lab-node-2' });
  });

  test('honours nodeSelector and explains when nothing fits', () => {
    const labelled = [node('lab-node-1'), node('lab-node-2', {}, { disk: 'ssd' })];
    expect(chooseNode(pod('s', 'rs-s', { nodeSelector: { disk: 'ssd' } }), labelled, new Map())).toEqual({
      node: 'lab-node-2',
    });
    const none = chooseNode(pod('s', 'rs-s', { nodeSelector: { disk: 'nvme' } }), labelled, new Map());
    expect(none).toEqual({ reason: expect.stringMatching(/^0\/2 nodes are available/) });
  });
});

describe('waitForNodesToSettle', () => {
  const notReady = { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] };

  test('holds pods back while a new node still carries the not-ready taint, so they are not crowded onto the first node cleared', () => {
    const starting = [node('lab-node-1'), node('lab-node-2', notReady), node('lab-node-3', notReady)];
    expect(waitForNodesToSettle(starting, 1000, 1000)).toBe(true);
    expect(waitForNodesToSettle(starting, 1000, 1000 + SETTLE_MS - 1)).toBe(true);
  });

  test('binds at once when no node carries a lifecycle taint; a cordon or another taint is no reason to wait', () => {
    expect(waitForNodesToSettle(nodes, 1000, 1000)).toBe(false);
    const fenced = [
      node('lab-node-1', {
        unschedulable: true,
        taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
      }),
      node('lab-node-2', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
    ];
    expect(waitForNodesToSettle(fenced, 1000, 1000)).toBe(false);
  });

  test('stops waiting after the settle limit and lets the taints decide, as a scheduler would', () => {
    const stuck = [node('lab-node-1', notReady), node('lab-node-2')];
    expect(waitForNodesToSettle(stuck, 1000, 1000 + SETTLE_MS)).toBe(false);
  });
});
