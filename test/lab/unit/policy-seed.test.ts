// The 3 AM policy: the seed's secure-payment-gateway denies the checkout
// frontend (another namespace) and DNS; the corrected one allows both.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { compile, decide, DROP_POLICY, RESERVED, type ClusterView } from '../../../lab/policy/index.ts';
import { identityOf } from '../../../lab/hubble/index.ts';

const shop: ClusterView = {
  namespaces: [{ name: 'production' }, { name: 'finance' }, { name: 'kube-system' }],
  pods: [
    {
      namespace: 'production',
      name: 'checkout-frontend-a',
      labels: { app: 'checkout-frontend' },
      ips: ['10.244.1.10'],
    },
    { namespace: 'production', name: 'cart-service-v1-a', labels: { app: 'cart-service-v1' }, ips: ['10.244.1.11'] },
    { namespace: 'finance', name: 'payment-processor-a', labels: { app: 'payment-processor' }, ips: ['10.244.2.10'] },
    { namespace: 'finance', name: 'checkout-frontend-x', labels: { app: 'checkout-frontend' }, ips: ['10.244.2.30'] },
    { namespace: 'finance', name: 'postgres-db-a', labels: { app: 'postgres-db' }, ips: ['10.244.2.20'] },
    { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, ips: ['10.96.0.10'] },
  ],
  hostIps: ['10.0.0.1'],
  dns: { 'api.stripe.com': ['203.0.113.5'], 'example.org': ['198.51.100.7'] },
};

const FRONTEND = '10.244.1.10';
const PAYMENT = '10.244.2.10';
const DNS = '10.96.0.10';
const tcp = (src: string, dst: string, dport: number) => ({ src, dst, protocol: 6, dport });
const udp = (src: string, dst: string, dport: number) => ({ src, dst, protocol: 17, dport });

const seed: unknown = parse(readFileSync(new URL('../../../lab/scenarios/policy-3am.yaml', import.meta.url), 'utf8'));

/** The corrected policy: the frontend's namespace named, DNS to kube-dns allowed. */
const corrected = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'secure-payment-gateway', namespace: 'finance' },
  spec: {
    endpointSelector: { matchLabels: { app: 'payment-processor' } },
    ingress: [
      {
        fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production', app: 'checkout-frontend' } }],
        toPorts: [
          { ports: [{ port: '8080', protocol: 'TCP' }], rules: { http: [{ method: 'POST', path: '/v1/charge' }] } },
        ],
      },
    ],
    egress: [
      {
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
      },
      { toFQDNs: [{ matchName: 'api.stripe.com' }] },
      { toEndpoints: [{ matchLabels: { app: 'postgres-db' } }] },
    ],
  },
};

describe('the seed secure-payment-gateway policy', () => {
  const compiled = compile([seed], shop);

  test('denies checkout-frontend (production) -> payment-processor (finance) TCP 8080 at the payment ingress, POLICY_DENIED', () => {
    const v = decide(compiled, tcp(FRONTEND, PAYMENT, 8080));
    expect(v).toMatchObject({ verdict: 'DROPPED', dropReason: DROP_POLICY, direction: 'ingress' });
    expect(v.srcIdentity).toBe(identityOf(['k8s:app=checkout-frontend', 'k8s:io.kubernetes.pod.namespace=production']));
    expect(v.dstIdentity).toBe(identityOf(['k8s:app=payment-processor', 'k8s:io.kubernetes.pod.namespace=finance']));
  });

  test('allows a checkout-frontend in its own namespace (finance): the selector is namespace-scoped', () => {
    expect(decide(compiled, tcp('10.244.2.30', PAYMENT, 8080)).verdict).toBe('FORWARDED');
    expect(decide(compiled, tcp('10.244.2.30', PAYMENT, 8081))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
  });

  test('denies payment -> DNS (UDP and TCP 53) at the payment egress: no rule allows it', () => {
    expect(decide(compiled, udp(PAYMENT, DNS, 53))).toMatchObject({
      verdict: 'DROPPED',
      dropReason: 133,
      direction: 'egress',
    });
    expect(decide(compiled, tcp(PAYMENT, DNS, 53))).toMatchObject({ verdict: 'DROPPED', direction: 'egress' });
  });

  test('denies payment -> api.stripe.com too: without a DNS rule toFQDNs never learns its address; postgres-db passes', () => {
    expect(decide(compiled, tcp(PAYMENT, '203.0.113.5', 443))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
    expect(decide(compiled, tcp(PAYMENT, '10.244.2.20', 5432)).verdict).toBe('FORWARDED');
    expect(compiled.warnings).toEqual([
      expect.stringMatching(
        /secure-payment-gateway egress\[0\]: toFQDNs cannot match for finance\/payment-processor-a: no DNS rule/,
      ),
    ]);
  });

  test('the node (reserved:host) may still reach the payment pod, as with Cilium allow-localhost', () => {
    expect(decide(compiled, tcp('10.0.0.1', PAYMENT, 8080))).toMatchObject({
      verdict: 'FORWARDED',
      srcIdentity: RESERVED.host,
    });
  });

  test('pods the policy does not select are not enforced: frontend -> cart passes', () => {
    expect(decide(compiled, tcp(FRONTEND, '10.244.1.11', 80)).verdict).toBe('FORWARDED');
  });
});

describe('the corrected secure-payment-gateway policy', () => {
  const compiled = compile([corrected], shop);

  test('allows checkout-frontend (production) -> payment-processor TCP 8080, but no other port', () => {
    expect(decide(compiled, tcp(FRONTEND, PAYMENT, 8080)).verdict).toBe('FORWARDED');
    expect(decide(compiled, tcp(FRONTEND, PAYMENT, 9090))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
  });

  test('keeps the L7 rule on the allowing entry for a proxy to enforce', () => {
    const entry = compiled.entries.find((e) => e.direction === 'ingress' && e.port === 8080);
    expect(entry?.http).toEqual([{ method: 'POST', path: '/v1/charge' }]);
  });

  test('allows DNS to kube-dns over UDP and TCP, and only to kube-dns', () => {
    expect(decide(compiled, udp(PAYMENT, DNS, 53)).verdict).toBe('FORWARDED');
    expect(decide(compiled, tcp(PAYMENT, DNS, 53)).verdict).toBe('FORWARDED');
    expect(decide(compiled, udp(PAYMENT, '8.8.8.8', 53))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
  });

  test('allows payment -> api.stripe.com (its DNS rule lets the lookup through) and nothing else outside', () => {
    expect(decide(compiled, tcp(PAYMENT, '203.0.113.5', 443)).verdict).toBe('FORWARDED');
    expect(decide(compiled, tcp(PAYMENT, '198.51.100.7', 443))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
    expect(compiled.warnings).toEqual([]);
  });

  test('the cross-namespace allow does not open the frontend in finance', () => {
    expect(decide(compiled, tcp('10.244.2.30', PAYMENT, 8080))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
  });
});
