// The policy agent's view of the lab: pods from the informer completed by
// what the simulator announced, the lab's fixed addresses, CoreDNS as
// kube-dns, the lab DNS's outside names; endpoint ids that stay put; and the
// lab's two payment policies decided against that view.
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { LAB_POLICY, POLICY_3AM } from '../../../lab/apply.ts';
import {
  compile,
  decide,
  labClusterView,
  labPods,
  RESERVED,
  stableIds,
  type PodEndpoint,
} from '../../../lab/policy/index.ts';
import { DNS_IP, HOST_IP, NODES, OUTSIDE_IP } from '../../../lab/topology.ts';

const pod = (namespace: string, name: string, app: string, ip?: string, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: {
    namespace,
    name,
    labels: { app },
    annotations: {
      'nightshift.dev/host-interface': `lxc-${name}`,
      'nightshift.dev/node-netns': 'nightshift-lab-node-1',
    },
    ...extra.metadata,
  },
  ...(ip ? { status: { podIP: ip, podIPs: [{ ip }] } } : {}),
});

const FRONTEND = '10.244.1.10';
const PAYMENT = '10.244.2.10';
const POSTGRES = '10.244.3.10';
const shop = [
  pod('production', 'checkout-frontend-a', 'checkout-frontend', FRONTEND),
  pod('finance', 'payment-processor-a', 'payment-processor', PAYMENT),
  pod('finance', 'postgres-db-a', 'postgres-db', POSTGRES),
];
const namespaces = ['production', 'finance', 'kube-system'].map((name) => ({ metadata: { name } }));
const view = labClusterView(labPods(shop, new Map()), namespaces);
const tcp = (src: string, dst: string, dport: number) => ({ src, dst, protocol: 6, dport });
const udp = (src: string, dst: string, dport: number) => ({ src, dst, protocol: 17, dport });
const baseline: unknown = parse(readFileSync(LAB_POLICY, 'utf8'));
const seed: unknown = parse(readFileSync(POLICY_3AM, 'utf8'));

describe('the lab as the policy compiler sees it', () => {
  test('nodes and their bridges are host, the control-plane host is the API server, CoreDNS is kube-dns', () => {
    expect(view.hostIps).toEqual(NODES.flatMap((n) => [n.ip, n.gateway]));
    expect(view.apiServerIps).toEqual([HOST_IP]);
    expect(view.pods).toContainEqual({
      namespace: 'kube-system',
      name: 'coredns',
      labels: { 'k8s-app': 'kube-dns' },
      ips: [DNS_IP],
    });
    expect(view.dns).toEqual({ 'api.stripe.com': [OUTSIDE_IP] });
  });

  test('a pod the simulator announced counts before the API server shows its address; a pod without one does not', () => {
    const fresh = pod('finance', 'payment-processor-b', 'payment-processor');
    const announced: PodEndpoint = {
      namespace: 'finance',
      name: 'payment-processor-b',
      ip: '10.244.2.11',
      labels: { app: 'payment-processor' },
      hostInterface: 'lxcb',
      nodeNetns: 'nightshift-lab-node-2',
    };
    expect(labPods([fresh], new Map()).map((p) => p.name)).toEqual([]);
    expect(labPods([fresh], new Map([['finance/payment-processor-b', announced]]))).toEqual([
      {
        namespace: 'finance',
        name: 'payment-processor-b',
        labels: { app: 'payment-processor' },
        ips: ['10.244.2.11'],
        host: { ifname: 'lxc-payment-processor-b', netns: 'nightshift-lab-node-1' },
      },
    ]);
  });

  test('an address a terminating pod still shows belongs to the new pod that has it', () => {
    const old = pod('finance', 'payment-processor-old', 'payment-processor', PAYMENT, {
      metadata: { deletionTimestamp: new Date() },
    });
    const now = pod('production', 'cart-service-v1-new', 'cart-service-v1', PAYMENT);
    expect(labPods([now, old], new Map()).map((p) => p.name)).toEqual(['cart-service-v1-new']);
    expect(labPods([old, now], new Map()).map((p) => p.name)).toEqual(['cart-service-v1-new']);
  });

  test('endpoint ids stay with their pods when another pod sorts before them', () => {
    const ids = new Map<string, number>();
    const first = stableIds(compile([baseline], view), ids);
    const payment = first.endpoints.find((e) => e.pod === 'payment-processor-a')?.id;
    // A second postgres-db (its identity is not new) whose name sorts first: compile() numbers it 1.
    const more = labPods([pod('finance', 'a-postgres-db', 'postgres-db', '10.244.1.50'), ...shop], new Map());
    const second = stableIds(compile([baseline], labClusterView(more, namespaces)), ids);
    expect(second.endpoints.find((e) => e.pod === 'payment-processor-a')?.id).toBe(payment);
    expect(second.endpoints.find((e) => e.pod === 'a-postgres-db')?.id).toBe(first.endpoints.length + 1);
    expect(new Set(second.endpoints.map((e) => e.id)).size).toBe(second.endpoints.length);
    // Every policy entry of the payment pod moved with it.
    const entries = (c: typeof first) => c.entries.filter((e) => e.endpoint === payment).length;
    expect(entries(second)).toBe(entries(first));
    expect(entries(first)).toBeGreaterThan(0);
  });
});

describe("the lab's payment policies against the lab", () => {
  const good = compile([baseline], view);
  const bad = compile([seed], view);

  test('the working policy lets checkout through: frontend -> payment, payment -> DNS, postgres, api.stripe.com', () => {
    expect(decide(good, tcp(FRONTEND, PAYMENT, 8080)).verdict).toBe('FORWARDED');
    expect(decide(good, udp(PAYMENT, DNS_IP, 53)).verdict).toBe('FORWARDED');
    expect(decide(good, tcp(PAYMENT, POSTGRES, 5432)).verdict).toBe('FORWARDED');
    expect(decide(good, tcp(PAYMENT, OUTSIDE_IP, 80)).verdict).toBe('FORWARDED');
    expect(good.warnings).toEqual([]);
  });

  test('Prometheus on the host scrapes the admin port; the host reaches no other port; the node probes any', () => {
    expect(decide(good, tcp(HOST_IP, PAYMENT, 9901))).toMatchObject({
      verdict: 'FORWARDED',
      srcIdentity: RESERVED['kube-apiserver'],
    });
    expect(decide(good, tcp(HOST_IP, PAYMENT, 8080))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
    expect(decide(good, tcp('10.244.2.1', PAYMENT, 8080))).toMatchObject({
      verdict: 'FORWARDED',
      srcIdentity: RESERVED.host,
    });
  });

  test('the 3 AM policy denies frontend -> payment at its ingress and payment -> DNS at its egress', () => {
    expect(decide(bad, tcp(FRONTEND, PAYMENT, 8080))).toMatchObject({
      verdict: 'DROPPED',
      dropReason: 133,
      direction: 'ingress',
    });
    expect(decide(bad, udp(PAYMENT, DNS_IP, 53))).toMatchObject({
      verdict: 'DROPPED',
      dropReason: 133,
      direction: 'egress',
    });
  });
});
