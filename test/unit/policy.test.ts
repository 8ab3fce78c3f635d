// The policy analyser: the secure-payment-gateway policy of docs/scenario.md,
// Kubernetes NetworkPolicy semantics, Cilium's own rules, and the fields it
// must report rather than ignore.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import {
  explain,
  parseQuery,
  policyObjects,
  policyObjectsFromText,
  QueryError,
  suggestDns,
  suggestScoped,
  toPolicies,
  type Endpoint,
  type FlowQuery,
  type Policy,
  type QueryInput,
} from '../../activities/policy/index.ts';

const load = (...files: string[]): Policy[] =>
  files.flatMap((file) => {
    const text = readFileSync(new URL(`../fixtures/evidence/policies/${file}`, import.meta.url), 'utf8');
    return toPolicies(policyObjectsFromText(text, file).objects).policies;
  });
const inline = (...objects: unknown[]): Policy[] => toPolicies(policyObjects(objects).objects).policies;
const ask = (policies: Policy[], q: QueryInput) => explain(parseQuery(q), policies);

const FRONTEND = 'production/app=checkout-frontend';
const PAYMENT = 'finance/app=payment-processor';

describe('secure-payment-gateway (docs/scenario.md)', () => {
  const policies = load('secure-payment-gateway.yaml');

  test('POST /v1/charge from the frontend in production is allowed by the ingress rule', () => {
    const e = ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080, method: 'POST', path: '/v1/charge' });
    expect(e.verdict).toBe('allowed');
    expect(e.ingress.reason).toBe('allowed-by-rule');
    expect(e.ingress.rule).toBe('CiliumNetworkPolicy finance/secure-payment-gateway spec.ingress[0]');
    expect(e.egress.reason).toBe('no-policy');
  });

  test('GET /v1/charge reaches the port but the L7 rule denies it', () => {
    const e = ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080, method: 'GET', path: '/v1/charge' });
    expect(e.verdict).toBe('denied');
    expect(e.ingress.reason).toBe('l7-denied');
    expect(e.ingress.sentence).toContain('POST /v1/charge');
  });

  test('paths are fully anchored regexes: /v1/charge/extra does not match', () => {
    expect(
      ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080, method: 'POST', path: '/v1/charge/extra' }).verdict,
    ).toBe('denied');
  });

  test('without an HTTP request the flow is allowed only under the L7 condition', () => {
    const e = ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080 });
    expect(e.verdict).toBe('allowed');
    expect(e.ingress.conditions).toEqual(['POST /v1/charge']);
    expect(e.summary).toContain('only HTTP POST /v1/charge');
  });

  test('any other workload is denied by default deny, and the policy is named', () => {
    const e = ask(policies, {
      from: 'production/app=cart-service-v1',
      to: PAYMENT,
      port: 8080,
      method: 'POST',
      path: '/v1/charge',
    });
    expect(e.verdict).toBe('denied');
    expect(e.ingress.reason).toBe('default-deny');
    expect(e.ingress.selectedBy).toEqual(['CiliumNetworkPolicy finance/secure-payment-gateway']);
    expect(e.summary).toContain('denied by default');
  });

  test('the same labels in another namespace do not match: the rule names production', () => {
    const e = ask(policies, {
      from: 'finance/app=checkout-frontend',
      to: PAYMENT,
      port: 8080,
      method: 'POST',
      path: '/v1/charge',
    });
    expect(e.verdict).toBe('denied');
  });

  test('another port is denied', () => {
    expect(ask(policies, { from: FRONTEND, to: PAYMENT, port: 9090 }).verdict).toBe('denied');
  });

  test('egress to the database is allowed; to the database label in another namespace it is not', () => {
    expect(ask(policies, { from: PAYMENT, to: 'finance/app=postgres-db', port: 5432 }).egress.reason).toBe(
      'allowed-by-rule',
    );
    const other = ask(policies, { from: PAYMENT, to: 'production/app=postgres-db', port: 5432 });
    expect(other.verdict).toBe('denied');
    expect(other.egress.considered.map((c) => c.why).join('\n')).toContain('only in namespace finance');
  });

  test('egress to api.stripe.com is allowed by name; another address or name is denied', () => {
    const stripe = ask(policies, { from: PAYMENT, fqdn: 'api.stripe.com', port: 443 });
    expect(stripe.verdict).toBe('allowed');
    expect(stripe.notes).toEqual([]); // DNS egress is allowed, so toFQDNs can work
    expect(ask(policies, { from: PAYMENT, to: '203.0.113.9', port: 443 }).verdict).toBe('denied');
    expect(ask(policies, { from: PAYMENT, fqdn: 'api.evil.example', port: 443 }).verdict).toBe('denied');
  });
});

describe('secure-payment-gateway without the namespace label', () => {
  const policies = load('secure-payment-gateway-same-namespace.yaml');

  test('the frontend in production is denied, and the answer says why and how to fix it', () => {
    const e = ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080, method: 'POST', path: '/v1/charge' });
    expect(e.verdict).toBe('denied');
    expect(e.ingress.reason).toBe('default-deny');
    const why = e.ingress.considered[0]?.why ?? '';
    expect(why).toContain('only in namespace finance');
    expect(why).toContain('the peer is in production');
    expect(why).toContain('k8s:io.kubernetes.pod.namespace');
  });

  test('what the rule really allows: checkout-frontend pods in finance', () => {
    expect(
      ask(policies, {
        from: 'finance/app=checkout-frontend',
        to: PAYMENT,
        port: 8080,
        method: 'POST',
        path: '/v1/charge',
      }).verdict,
    ).toBe('allowed');
  });

  test('toFQDNs without DNS egress: allowed by name, with a note that lookups are denied', () => {
    const e = ask(policies, { from: PAYMENT, fqdn: 'api.stripe.com', port: 443 });
    expect(e.verdict).toBe('allowed');
    expect(e.notes[0]).toContain('DNS lookups');
  });
});

describe('Kubernetes NetworkPolicy semantics', () => {
  const policies = load('production-netpol.yaml');
  const monitoring: Endpoint = {
    namespace: 'monitoring',
    labels: { app: 'prometheus' },
    namespaceLabels: { team: 'observability' },
    external: false,
  };
  const cart: Endpoint = { namespace: 'production', labels: { app: 'cart-service-v1' }, external: false };

  test('frontend → cart on 80 is allowed in both directions', () => {
    const e = ask(policies, { from: FRONTEND, to: 'production/app=cart-service-v1', port: 80 });
    expect(e.verdict).toBe('allowed');
    expect(e.egress.rule).toBe('NetworkPolicy production/frontend-egress spec.egress[0]');
    expect(e.ingress.rule).toBe('NetworkPolicy production/cart-from-frontend spec.ingress[0]');
  });

  test('frontend → cart on 8080 is denied by ingress default deny, naming both policies', () => {
    const e = ask(policies, { from: FRONTEND, to: 'production/app=cart-service-v2', port: 8080 });
    expect(e.verdict).toBe('denied');
    expect(e.ingress.selectedBy.sort()).toEqual([
      'NetworkPolicy production/cart-from-frontend',
      'NetworkPolicy production/default-deny-ingress',
    ]);
  });

  test('a namespaceSelector alone admits every pod of matching namespaces; the protocol defaults to TCP', () => {
    const flow: FlowQuery = { from: monitoring, to: cart, port: 9090, protocol: 'TCP' };
    expect(explain(flow, policies).verdict).toBe('allowed');
    expect(explain({ ...flow, protocol: 'UDP' }, policies).verdict).toBe('denied');
    const elsewhere: Endpoint = { ...monitoring, namespaceLabels: { team: 'web' } };
    expect(explain({ ...flow, from: elsewhere }, policies).verdict).toBe('denied');
  });

  test('namespaceSelector and podSelector in one peer select pods in those namespaces', () => {
    expect(ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080 }).egress.rule).toBe(
      'NetworkPolicy production/frontend-egress spec.egress[1]',
    );
    expect(ask(policies, { from: FRONTEND, to: 'staging/app=payment-processor', port: 8080 }).egress.verdict).toBe(
      'denied',
    );
  });

  test('ipBlock with except and a port range', () => {
    expect(ask(policies, { from: FRONTEND, to: '10.200.0.50', port: 8050 }).verdict).toBe('allowed');
    expect(ask(policies, { from: FRONTEND, to: '10.200.0.100', port: 8050 }).verdict).toBe('denied');
    expect(ask(policies, { from: FRONTEND, to: '10.200.0.50', port: 9000 }).verdict).toBe('denied');
  });

  test('a rule with ports but no peers allows every peer on those ports', () => {
    expect(
      ask(policies, { from: FRONTEND, to: 'kube-system/k8s-app=kube-dns', port: 53, protocol: 'UDP' }).egress.reason,
    ).toBe('allowed-by-rule');
  });

  test('egress is unrestricted where no policy has the Egress type', () => {
    expect(ask(policies, { from: 'production/app=cart-service-v1', to: '198.51.100.1', port: 443 }).egress.reason).toBe(
      'no-policy',
    );
  });

  test('a named port is reported as not evaluated', () => {
    const unsupported = explain(
      parseQuery({ from: FRONTEND, to: 'production/app=metrics', port: 9100 }),
      policies,
    ).unsupported;
    expect(unsupported.some((u) => u.path.endsWith('ports[0].port') && u.note.includes('named port "metrics"'))).toBe(
      true,
    );
  });
});

describe('Cilium rules', () => {
  const cnp = (name: string, spec: unknown, namespace = 'production') => ({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name, namespace },
    spec,
  });
  const frontend = { endpointSelector: { matchLabels: { app: 'checkout-frontend' } } };

  test('an empty ingress rule turns on default deny and allows nothing', () => {
    const policies = inline(cnp('lockdown', { ...frontend, ingress: [{}] }));
    expect(ask(policies, { from: 'production/app=cart-service-v1', to: FRONTEND, port: 8080 }).ingress.reason).toBe(
      'default-deny',
    );
  });

  test('a rule with only toPorts applies to every peer', () => {
    const policies = inline(cnp('l4-only', { ...frontend, ingress: [{ toPorts: [{ ports: [{ port: '8080' }] }] }] }));
    expect(ask(policies, { from: 'finance/app=x', to: FRONTEND, port: 8080, protocol: 'UDP' }).verdict).toBe('allowed');
  });

  test('a deny rule wins over an allow rule', () => {
    const policies = inline(
      cnp('no-outside', {
        ...frontend,
        egress: [{ toEntities: ['all'] }],
        egressDeny: [{ toCIDR: ['10.200.0.100/32'] }],
      }),
    );
    const e = ask(policies, { from: FRONTEND, to: '10.200.0.100', port: 80 });
    expect(e.egress.reason).toBe('denied-by-rule');
    expect(ask(policies, { from: FRONTEND, to: '10.200.0.101', port: 80 }).verdict).toBe('allowed');
  });

  test('enableDefaultDeny false keeps the direction open', () => {
    const policies = inline(
      cnp('audit', { ...frontend, enableDefaultDeny: { ingress: false }, ingress: [{ fromEntities: ['world'] }] }),
    );
    expect(ask(policies, { from: 'production/app=cart-service-v1', to: FRONTEND, port: 8080 }).ingress.reason).toBe(
      'no-policy',
    );
  });

  test('a clusterwide policy selects across namespaces without the namespace label', () => {
    const policies = inline({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'payments-only-from-frontend' },
      spec: {
        endpointSelector: { matchLabels: { app: 'payment-processor' } },
        ingress: [{ fromEndpoints: [{ matchLabels: { app: 'checkout-frontend' } }] }],
      },
    });
    expect(ask(policies, { from: FRONTEND, to: PAYMENT, port: 8080 }).verdict).toBe('allowed');
  });

  test('matchPattern: "*" stays within one DNS label', () => {
    const policies = inline(cnp('stripe', { ...frontend, egress: [{ toFQDNs: [{ matchPattern: '*.stripe.com' }] }] }));
    expect(ask(policies, { from: FRONTEND, fqdn: 'api.stripe.com', port: 443 }).verdict).toBe('allowed');
    expect(ask(policies, { from: FRONTEND, fqdn: 'stripe.com', port: 443 }).verdict).toBe('denied');
    expect(ask(policies, { from: FRONTEND, fqdn: 'a.b.stripe.com', port: 443 }).verdict).toBe('denied');
  });

  test('fields the analyser cannot evaluate are reported with their path, and as caveats when they concern the flow', () => {
    const policies = inline(
      cnp('odd', {
        ...frontend,
        egress: [
          { toServices: [{ k8sService: { serviceName: 'x', namespace: 'y' } }] },
          { toPorts: [{ ports: [{ port: '80' }], rules: { http: [{ method: 'GET', headers: ['X-Test: 1'] }] } }] },
        ],
        ingress: [{ fromRequires: [{ matchLabels: { env: 'prod' } }], icmps: [{ fields: [{ type: 8 }] }] }],
      }),
    );
    const e = ask(policies, {
      from: FRONTEND,
      to: 'production/app=cart-service-v1',
      port: 80,
      method: 'GET',
      path: '/',
    });
    const paths = e.caveats.map((c) => c.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'spec.egress[0].toServices',
        'spec.egress[1].toPorts[0].rules.http[0].headers',
        'spec.ingress[0].fromRequires',
        'spec.ingress[0].icmps',
      ]),
    );
  });

  test('objects that are not policies are reported, not dropped silently', () => {
    const loaded = policyObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }]);
    expect(loaded.objects).toEqual([]);
    expect(loaded.skipped[0]?.note).toContain('ConfigMap');
  });
});

describe('questions', () => {
  test('bad endpoints and ports are usage errors that say what is expected', () => {
    expect(() => parseQuery({ from: 'frontend', to: PAYMENT, port: 80 })).toThrow(QueryError);
    expect(() => parseQuery({ from: FRONTEND, to: PAYMENT, port: 70000 })).toThrow(/65535/);
    expect(() => parseQuery({ from: FRONTEND, port: 80 })).toThrow(/--to or --fqdn/);
  });
});

describe('a corrected rule for a denied flow', () => {
  const text = (file: string) =>
    readFileSync(new URL(`../fixtures/evidence/policies/${file}`, import.meta.url), 'utf8');
  const objectsOf = (file: string) => policyObjectsFromText(text(file), file).objects;

  test('a Cilium selector scoped to its own namespace gets the peer namespace label, and the fix is checked', () => {
    const objects = objectsOf('secure-payment-gateway-same-namespace.yaml');
    const policies = toPolicies(objects).policies;
    const flow = parseQuery({ from: FRONTEND, to: PAYMENT, port: 8080 });
    expect(explain(flow, policies).ingress.reason).toBe('default-deny');
    const s = suggestScoped('ingress', flow, policies, objects);
    expect(s).toMatchObject({ policy: 'CiliumNetworkPolicy finance/secure-payment-gateway', path: 'spec.ingress[0]' });
    expect(s?.rule).toMatchObject({
      fromEndpoints: [{ matchLabels: { app: 'checkout-frontend', 'k8s:io.kubernetes.pod.namespace': 'production' } }],
    });
    // The suggested rule, put in place, allows the flow (L7 still limits it to POST /v1/charge).
    const fixed = structuredClone(objects[0]) as unknown as { spec: { ingress: unknown[] } };
    fixed.spec.ingress[0] = s?.rule;
    expect(explain(flow, inline(fixed)).ingress.verdict).toBe('allowed');
    // No suggestion when the labels themselves differ: adding a namespace would not help.
    const other = parseQuery({ from: 'production/app=cart-service-v1', to: PAYMENT, port: 8080 });
    expect(suggestScoped('ingress', other, policies, objects)).toBeUndefined();
  });

  test('a NetworkPolicy podSelector gets a namespaceSelector for the peer namespace', () => {
    const objects = policyObjects([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'payment-in', namespace: 'finance' },
        spec: {
          podSelector: { matchLabels: { app: 'payment-processor' } },
          ingress: [
            { from: [{ podSelector: { matchLabels: { app: 'checkout-frontend' } } }], ports: [{ port: 8080 }] },
          ],
        },
      },
    ]).objects;
    const policies = toPolicies(objects).policies;
    const flow = parseQuery({ from: FRONTEND, to: PAYMENT, port: 8080 });
    const s = suggestScoped('ingress', flow, policies, objects);
    expect(s?.change).toBe('from[0] reaches namespace production (namespaceSelector)');
    expect(s?.yaml).toContain('kubernetes.io/metadata.name: production');
  });

  test('an endpoint isolated for egress without DNS gets a rule allowing kube-dns, one that the analyser accepts', () => {
    const objects = objectsOf('secure-payment-gateway-same-namespace.yaml');
    const policies = toPolicies(objects).policies;
    const payment: Endpoint = { namespace: 'finance', labels: { app: 'payment-processor' }, external: false };
    const s = suggestDns(payment, policies, objects);
    expect(s).toMatchObject({ path: 'spec.egress[+]', change: expect.stringContaining('DNS') });
    expect(s?.yaml).toContain('k8s:k8s-app: kube-dns');
    // The working policy allows DNS already: nothing to suggest.
    const working = objectsOf('secure-payment-gateway.yaml');
    expect(suggestDns(payment, toPolicies(working).policies, working)).toBeUndefined();
  });
});
