// A policy drop as the Hubble stand-in's flow, the way Hubble shows Cilium's
// own drop of the same packet.
import type { EndpointInfo, EndpointSource } from '../../../lab/hubble/index.ts';
import { compile, dropToFlow, tcpFlags, wallClock, type DropEvent } from '../../../lab/policy/index.ts';
import { identityOf } from '../../../lab/hubble/index.ts';

const frontendLabels = ['k8s:app=checkout-frontend', 'k8s:io.kubernetes.pod.namespace=production'];
const paymentLabels = ['k8s:app=payment-processor', 'k8s:io.kubernetes.pod.namespace=finance'];
const known: Record<string, EndpointInfo> = {
  '10.244.1.10': {
    namespace: 'production',
    pod: 'checkout-frontend-7d9f-abcde',
    labels: frontendLabels,
    workload: { name: 'checkout-frontend', kind: 'Deployment' },
    node: 'lab-node-1',
    identity: identityOf(frontendLabels),
  },
  '10.244.2.10': {
    namespace: 'finance',
    pod: 'payment-processor-5c8b-fghij',
    labels: paymentLabels,
    workload: { name: 'payment-processor', kind: 'Deployment' },
    node: 'lab-node-2',
    identity: identityOf(paymentLabels),
  },
};
const endpoints: EndpointSource = {
  byIp: (ip) => known[ip] ?? { labels: ['reserved:world'], identity: 2 },
  podNamespaces: () => [],
  nodeOfNetns: () => undefined,
  refresh: async () => undefined,
};
const event = (over: Partial<DropEvent>): DropEvent => ({
  ktimeNs: 0,
  srcIdentity: identityOf(frontendLabels),
  dstIdentity: identityOf(paymentLabels),
  src: '10.244.1.10',
  dst: '10.244.2.10',
  sport: 40312,
  dport: 8080,
  proto: 6,
  reason: 133,
  egress: false,
  ifindex: 17,
  endpoint: 4,
  tcpFlags: 0x02,
  ...over,
});
const at = new Date('2026-12-04T03:00:00.250Z');

describe('policy drop events as Hubble flows', () => {
  test('an ingress POLICY_DENIED drop: verdict, reason, event type, direction, node of the dropping pod', () => {
    const { flow, node_name } = dropToFlow(event({}), { endpoints, at, ifname: 'veth-pay' });
    expect(node_name).toBe('lab-node-2');
    expect(flow).toMatchObject({
      verdict: 'DROPPED',
      drop_reason: 133,
      drop_reason_desc: 'POLICY_DENIED',
      Type: 'L3_L4',
      event_type: { type: 1, sub_type: 133 },
      traffic_direction: 'INGRESS',
      IP: { source: '10.244.1.10', destination: '10.244.2.10', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40312, destination_port: 8080, flags: { SYN: true } } },
      interface: { index: 17, name: 'veth-pay' },
      time: { seconds: String(Math.floor(at.getTime() / 1000)), nanos: 250e6 },
    });
  });

  test('both endpoints carry identity, labels, namespace, pod and workload; the dropping one its endpoint ID', () => {
    const { flow } = dropToFlow(event({}), { endpoints, at });
    expect(flow.source).toEqual({
      identity: identityOf(frontendLabels),
      namespace: 'production',
      labels: frontendLabels,
      pod_name: 'checkout-frontend-7d9f-abcde',
      workloads: [{ name: 'checkout-frontend', kind: 'Deployment' }],
    });
    expect(flow.destination).toMatchObject({
      ID: 4,
      identity: identityOf(paymentLabels),
      pod_name: 'payment-processor-5c8b-fghij',
    });
  });

  test('an egress POLICY_DENY drop of UDP to DNS: EGRESS, reason 181, no TCP flags', () => {
    const { flow, node_name } = dropToFlow(
      event({
        src: '10.244.2.10',
        dst: '10.96.0.10',
        srcIdentity: identityOf(paymentLabels),
        dstIdentity: 2,
        proto: 17,
        dport: 53,
        reason: 181,
        egress: true,
        tcpFlags: 0,
      }),
      { endpoints, at },
    );
    expect(node_name).toBe('lab-node-2');
    expect(flow).toMatchObject({
      drop_reason: 181,
      drop_reason_desc: 'POLICY_DENY',
      traffic_direction: 'EGRESS',
      event_type: { type: 1, sub_type: 181 },
      l4: { UDP: { source_port: 40312, destination_port: 53 } },
      source: { ID: 4 },
      destination: { identity: 2, labels: ['reserved:world'] },
    });
  });

  test('a CIDR identity the stand-in calls world is named by its compiled labels', () => {
    const compiled = compile(
      [
        {
          kind: 'CiliumNetworkPolicy',
          metadata: { name: 'p', namespace: 'finance' },
          spec: { endpointSelector: {}, egressDeny: [{ toCIDR: ['192.0.2.0/24'] }] },
        },
      ],
      { pods: [] },
    );
    const cidr = [...compiled.identities.values()].find((i) => i.kind === 'cidr');
    const { flow } = dropToFlow(
      event({ dst: '192.0.2.1', dstIdentity: cidr?.id ?? 0, egress: true, src: '10.244.2.10' }),
      {
        endpoints,
        identities: compiled.identities,
        at,
      },
    );
    expect(flow.destination).toEqual({ identity: cidr?.id, labels: ['cidr:192.0.2.0/24', 'reserved:world'] });
  });

  test('TCP flags byte and monotonic time', () => {
    expect(tcpFlags(0x12)).toEqual({ SYN: true, ACK: true });
    expect(tcpFlags(0x11)).toEqual({ FIN: true, ACK: true });
    expect(wallClock(5e9, 1_000_000, 7e9).getTime()).toBe(1_000_000 - 2000);
  });
});
