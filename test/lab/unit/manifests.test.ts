// The lab's manifests and CRDs: they parse, and they say what docs/scenario.md says.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFESTS_DIR, parseManifest, POLICY_3AM } from '../../../lab/apply.ts';
import { LAB_CRDS } from '../../../lab/crds/index.ts';
import { corefile } from '../../../lab/control-plane/coredns.ts';

const objects = readdirSync(MANIFESTS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseManifest(readFileSync(join(MANIFESTS_DIR, f), 'utf8'), f));
const find = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name) as Record<string, unknown> | undefined;

describe('lab manifests', () => {
  test('every shop Deployment has a headless Service of the same name', () => {
    const deployments = objects
      .filter((o) => o.kind === 'Deployment')
      .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
    expect(deployments.sort()).toEqual([
      'finance/payment-processor',
      'finance/postgres-db',
      'production/cart-service-v1',
      'production/cart-service-v2',
      'production/checkout-frontend',
    ]);
    for (const d of deployments) {
      const [namespace, name] = d.split('/');
      const svc = objects.find(
        (o) => o.kind === 'Service' && o.metadata?.name === name && o.metadata?.namespace === namespace,
      );
      expect(svc).toMatchObject({ spec: { clusterIP: 'None', selector: { app: name } } });
    }
  });

  test('the canary route splits /cart 90/10 between cart-service-v1 and v2', () => {
    expect(find('HTTPRoute', 'store-traffic-split')).toMatchObject({
      metadata: { namespace: 'production' },
      spec: {
        parentRefs: [{ name: 'external-gateway' }],
        hostnames: ['shop.example.test'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/cart' } }],
            backendRefs: [
              { name: 'cart-service-v1', port: 80, weight: 90 },
              { name: 'cart-service-v2', port: 80, weight: 10 },
            ],
          },
        ],
      },
    });
  });

  test('the lab starts with a payment policy that works: the frontend namespace named, DNS allowed', () => {
    expect(find('CiliumNetworkPolicy', 'secure-payment-gateway')).toMatchObject({
      metadata: { namespace: 'finance' },
      spec: {
        endpointSelector: { matchLabels: { app: 'payment-processor' } },
        ingress: [
          {
            fromEndpoints: [
              { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production', app: 'checkout-frontend' } },
            ],
            toPorts: [
              { ports: [{ port: '8080', protocol: 'TCP' }], rules: { http: [{ method: 'POST', path: '/v1/charge' }] } },
            ],
          },
          { fromEntities: ['cluster'], toPorts: [{ ports: [{ port: '9901', protocol: 'TCP' }] }] },
        ],
        egress: [
          {
            toEndpoints: [
              { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } },
            ],
            toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
          },
          { toFQDNs: [{ matchName: 'api.stripe.com' }] },
          { toEndpoints: [{ matchLabels: { app: 'postgres-db' } }] },
        ],
      },
    });
  });

  test('the 3 AM change (lab/scenarios/policy-3am.yaml) is exactly the scenario policy', () => {
    const [seed] = parseManifest(readFileSync(POLICY_3AM, 'utf8'), 'policy-3am.yaml');
    expect(seed).toMatchObject({
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'secure-payment-gateway', namespace: 'finance' },
      spec: {
        endpointSelector: { matchLabels: { app: 'payment-processor' } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { app: 'checkout-frontend' } }],
            toPorts: [
              { ports: [{ port: '8080', protocol: 'TCP' }], rules: { http: [{ method: 'POST', path: '/v1/charge' }] } },
            ],
          },
        ],
        egress: [
          { toFQDNs: [{ matchName: 'api.stripe.com' }] },
          { toEndpoints: [{ matchLabels: { app: 'postgres-db' } }] },
        ],
      },
    });
  });

  test('CRDs: cilium.io/v2 and gateway.networking.k8s.io/v1, structural (no $ref), protected group approved', () => {
    expect(LAB_CRDS.map((c) => c.metadata.name)).toEqual([
      'ciliumnetworkpolicies.cilium.io',
      'gatewayclasses.gateway.networking.k8s.io',
      'gateways.gateway.networking.k8s.io',
      'httproutes.gateway.networking.k8s.io',
    ]);
    for (const crd of LAB_CRDS) expect(JSON.stringify(crd)).not.toContain('$ref');
    expect(LAB_CRDS[3]?.metadata).toMatchObject({
      annotations: { 'api-approved.kubernetes.io': expect.stringContaining('gateway-api') },
    });
  });

  test('a manifest that is not a Kubernetes object is refused with its place', () => {
    expect(() => parseManifest('apiVersion: v1\nkind: ConfigMap\n', 'x.yaml')).toThrow(/x.yaml document 1: metadata/);
    expect(() => parseManifest('a: [', 'y.yaml')).toThrow(/y.yaml document 1/);
  });

  test('CoreDNS serves cluster.local from the API, metrics on, api.stripe.com to the outside stand-in', () => {
    const text = corefile('/lab/kubeconfig');
    expect(text).toMatch(/kubernetes cluster\.local in-addr\.arpa \{\n\s+kubeconfig \/lab\/kubeconfig nightshift-lab/);
    expect(text).toContain('prometheus 10.200.0.1:9153');
    expect(text).toMatch(/api\.stripe\.com:53 \{[\s\S]*10\.200\.0\.100 api\.stripe\.com/);
  });
});
