// Compiling policies into the datapath's entries, Cilium's semantics: deny
// wins, entities, CIDRs with exceptions, FQDN patterns, default-deny per
// direction, Kubernetes NetworkPolicy peers, and bad input named.
import {
  compile,
  decide,
  DROP_POLICY,
  DROP_POLICY_DENY,
  fqdnMatches,
  LOCAL_IDENTITY_BASE,
  PolicyError,
  RESERVED,
  type ClusterView,
} from '../../../lab/policy/index.ts';
import { identityOf } from '../../../lab/hubble/index.ts';

const cluster: ClusterView = {
  namespaces: [
    { name: 'prod', labels: { team: 'shop' } },
    { name: 'dev', labels: { team: 'lab' } },
  ],
  pods: [
    { namespace: 'prod', name: 'web', labels: { app: 'web' }, ips: ['10.1.0.1'] },
    { namespace: 'prod', name: 'db', labels: { app: 'db' }, ips: ['10.1.0.2'] },
    { namespace: 'dev', name: 'web', labels: { app: 'web' }, ips: ['10.2.0.1'] },
  ],
  hostIps: ['10.0.0.1'],
  apiServerIps: ['10.0.0.9'],
  dns: { 'api.example.com': ['198.51.100.1'], 'a.b.example.com': ['198.51.100.2'], 'other.org': ['192.0.2.9'] },
};
const cnp = (spec: Record<string, unknown>, name = 'p') => ({
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace: 'prod' },
  spec: { endpointSelector: { matchLabels: { app: 'db' } }, ...spec },
});
const tcp = (src: string, dst: string, dport: number) => ({ src, dst, protocol: 6, dport });

describe('identities', () => {
  test('a pod identity is the Hubble stand-in identity of the same labels, whatever their order', () => {
    const c = compile([], cluster);
    const db = c.endpoints.find((e) => e.pod === 'db');
    expect(db?.identity).toBe(identityOf(['k8s:io.kubernetes.pod.namespace=prod', 'k8s:app=db']));
    expect(c.identities.get(db?.identity ?? 0)?.labels).toEqual(['k8s:app=db', 'k8s:io.kubernetes.pod.namespace=prod']);
  });

  test('the same labels in two namespaces are two identities', () => {
    const c = compile([], cluster);
    const webs = c.endpoints.filter((e) => e.pod === 'web').map((e) => e.identity);
    expect(new Set(webs).size).toBe(2);
  });

  test('unknown addresses are world; node addresses host; the API server kube-apiserver', () => {
    const c = compile([cnp({ ingress: [{ fromEntities: ['all'] }] })], cluster);
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 1))).toMatchObject({ srcIdentity: RESERVED.world });
    expect(decide(c, tcp('10.0.0.1', '10.1.0.2', 1))).toMatchObject({ srcIdentity: RESERVED.host });
    expect(decide(c, tcp('10.0.0.9', '10.1.0.2', 1))).toMatchObject({ srcIdentity: RESERVED['kube-apiserver'] });
  });
});

test('two label sets that hash to one identity number are refused, naming both', () => {
  const byId = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair; i++) {
    const id = identityOf([`k8s:app=a${i}`, 'k8s:io.kubernetes.pod.namespace=prod']);
    const other = byId.get(id);
    if (other !== undefined) pair = [other, `a${i}`];
    byId.set(id, `a${i}`);
  }
  const pods = pair.map((app) => ({ namespace: 'prod', name: app, labels: { app }, ips: [] }));
  expect(() => compile([], { pods })).toThrow(new RegExp(`is also that of k8s:app=${pair[0]}`));
});

describe('default deny per direction', () => {
  test('an egress-only policy leaves ingress open', () => {
    const c = compile([cnp({ egress: [{ toEndpoints: [{}] }] })], cluster);
    expect(c.endpoints.find((e) => e.pod === 'db')?.enforce).toEqual({ ingress: false, egress: true });
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.2', '8.8.8.8', 443))).toMatchObject({ verdict: 'DROPPED', direction: 'egress' });
  });

  test('an empty ingress rule turns ingress default-deny on and allows nothing but the node', () => {
    const c = compile([cnp({ ingress: [{}] })], cluster);
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 5432))).toMatchObject({ verdict: 'DROPPED', dropReason: DROP_POLICY });
    expect(decide(c, tcp('10.0.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
  });

  test('enableDefaultDeny.egress false adds allows without denying the rest', () => {
    const c = compile([cnp({ enableDefaultDeny: { egress: false }, egress: [{ toEndpoints: [{}] }] })], cluster);
    expect(decide(c, tcp('10.1.0.2', '8.8.8.8', 443)).verdict).toBe('FORWARDED');
  });

  test('DNS is denied once egress is enforced, unless a rule allows it', () => {
    const c = compile(
      [cnp({ egress: [{ toEntities: ['world'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }] })],
      cluster,
    );
    expect(decide(c, { src: '10.1.0.2', dst: '8.8.8.8', protocol: 17, dport: 53 })).toMatchObject({
      verdict: 'DROPPED',
    });
    expect(decide(c, tcp('10.1.0.2', '8.8.8.8', 443)).verdict).toBe('FORWARDED');
  });
});

describe('selectors and namespaces', () => {
  test('fromEndpoints names another namespace with k8s:io.kubernetes.pod.namespace (or without the k8s: prefix)', () => {
    for (const key of ['k8s:io.kubernetes.pod.namespace', 'io.kubernetes.pod.namespace']) {
      const c = compile(
        [cnp({ ingress: [{ fromEndpoints: [{ matchLabels: { [key]: 'dev', app: 'web' } }] }] })],
        cluster,
      );
      expect(decide(c, tcp('10.2.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
      expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 5432)).verdict).toBe('DROPPED');
    }
  });

  test('matchExpressions: In, NotIn, Exists, DoesNotExist', () => {
    const expr = (operator: string, values?: string[]) =>
      compile(
        [cnp({ ingress: [{ fromEndpoints: [{ matchExpressions: [{ key: 'app', operator, values }] }] }] })],
        cluster,
      );
    expect(decide(expr('In', ['web']), tcp('10.1.0.1', '10.1.0.2', 1)).verdict).toBe('FORWARDED');
    expect(decide(expr('NotIn', ['web']), tcp('10.1.0.1', '10.1.0.2', 1)).verdict).toBe('DROPPED');
    expect(decide(expr('Exists'), tcp('10.1.0.1', '10.1.0.2', 1)).verdict).toBe('FORWARDED');
    expect(decide(expr('DoesNotExist'), tcp('10.1.0.1', '10.1.0.2', 1)).verdict).toBe('DROPPED');
  });

  test('a namespace meta label selects across namespaces', () => {
    const c = compile(
      [cnp({ ingress: [{ fromEndpoints: [{ matchLabels: { 'k8s:io.cilium.k8s.namespace.labels.team': 'lab' } }] }] })],
      cluster,
    );
    expect(decide(c, tcp('10.2.0.1', '10.1.0.2', 1)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 1)).verdict).toBe('DROPPED');
  });

  test('toPorts without an L3 part holds for every peer, world included', () => {
    const c = compile([cnp({ ingress: [{ toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] }] })], cluster);
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
    expect(decide(c, { src: '8.8.8.8', dst: '10.1.0.2', protocol: 17, dport: 5432 }).verdict).toBe('DROPPED');
  });
});

describe('entities, CIDRs and FQDNs', () => {
  test('cluster is every pod and the node, not the world', () => {
    const c = compile([cnp({ ingress: [{ fromEntities: ['cluster'] }] })], cluster);
    expect(decide(c, tcp('10.2.0.1', '10.1.0.2', 1)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.0.0.9', '10.1.0.2', 1)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 1)).verdict).toBe('DROPPED');
  });

  test('toEntities kube-apiserver allows the API server only', () => {
    const c = compile([cnp({ egress: [{ toEntities: ['kube-apiserver'] }] })], cluster);
    expect(decide(c, tcp('10.1.0.2', '10.0.0.9', 6443)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.2', '10.0.0.1', 6443)).verdict).toBe('DROPPED');
  });

  test('toCIDRSet with except: the exception gets its own identity and stays denied', () => {
    const c = compile(
      [cnp({ egress: [{ toCIDRSet: [{ cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] }] }] })],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.2', '192.0.2.5', 80))).toMatchObject({ verdict: 'FORWARDED' });
    expect(decide(c, tcp('10.1.0.2', '192.0.2.200', 80))).toMatchObject({ verdict: 'DROPPED', dropReason: 133 });
    expect(decide(c, tcp('10.1.0.2', '192.0.2.5', 80)).dstIdentity).toBeGreaterThanOrEqual(LOCAL_IDENTITY_BASE);
  });

  test('toCIDR does not select pods inside it (they keep their pod identity)', () => {
    const c = compile([cnp({ egress: [{ toCIDR: ['10.0.0.0/8'] }] })], cluster);
    expect(decide(c, tcp('10.1.0.2', '10.200.0.1', 80)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.2', '10.1.0.1', 80)).verdict).toBe('DROPPED');
  });

  test('FQDN patterns: * stays within one label; a lone * is every name', () => {
    expect(fqdnMatches({ matchPattern: '*.example.com' }, 'api.example.com.')).toBe(true);
    expect(fqdnMatches({ matchPattern: '*.example.com' }, 'a.b.example.com')).toBe(false);
    expect(fqdnMatches({ matchPattern: '*.example.com' }, 'example.com')).toBe(false);
    expect(fqdnMatches({ matchPattern: '*' }, 'other.org')).toBe(true);
    expect(fqdnMatches({ matchName: 'API.example.com' }, 'api.example.com')).toBe(true);
    const dnsRule = {
      toEntities: ['cluster'],
      toPorts: [{ ports: [{ port: '53' }], rules: { dns: [{ matchPattern: '*' }] } }],
    };
    const c = compile([cnp({ egress: [dnsRule, { toFQDNs: [{ matchPattern: '*.example.com' }] }] })], cluster);
    expect(decide(c, tcp('10.1.0.2', '198.51.100.1', 443)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.2', '198.51.100.2', 443)).verdict).toBe('DROPPED');
    expect(decide(c, tcp('10.1.0.2', '192.0.2.9', 443)).verdict).toBe('DROPPED');
  });
});

test("toFQDNs selects only names the endpoint's DNS rules let it look up", () => {
  const dns = (matchName: string) => ({
    toEntities: ['cluster'],
    toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }], rules: { dns: [{ matchName }] } }],
  });
  const fqdn = { toFQDNs: [{ matchPattern: '*.example.com' }] };
  const narrow = compile([cnp({ egress: [dns('api.example.com'), fqdn] })], cluster);
  expect(decide(narrow, tcp('10.1.0.2', '198.51.100.1', 443)).verdict).toBe('FORWARDED');
  const other = compile([cnp({ egress: [dns('other.org'), fqdn] })], cluster);
  expect(decide(other, tcp('10.1.0.2', '198.51.100.1', 443)).verdict).toBe('DROPPED');
  // The DNS rule may come from another policy selecting the same endpoint.
  const split = compile([cnp({ egress: [fqdn] }, 'a'), cnp({ egress: [dns('api.example.com')] }, 'b')], cluster);
  expect(decide(split, tcp('10.1.0.2', '198.51.100.1', 443)).verdict).toBe('FORWARDED');
  expect(split.warnings).toEqual([]);
});

describe('deny rules', () => {
  test('a deny rule wins over an allow of the same traffic, with POLICY_DENY', () => {
    const c = compile(
      [
        cnp({
          ingress: [{ fromEntities: ['all'] }],
          ingressDeny: [{ fromEndpoints: [{ matchLabels: { app: 'web' } }] }],
        }),
      ],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 5432))).toMatchObject({
      verdict: 'DROPPED',
      dropReason: DROP_POLICY_DENY,
    });
    expect(decide(c, tcp('10.2.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
  });

  test('a port-only deny beats an identity-wide allow from another policy (overlap made explicit)', () => {
    const c = compile(
      [
        cnp({ ingress: [{ fromEndpoints: [{ matchLabels: { app: 'web' } }] }] }, 'allow'),
        cnp({ ingressDeny: [{ toPorts: [{ ports: [{ port: '22', protocol: 'TCP' }] }] }] }, 'deny'),
      ],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 22))).toMatchObject({ verdict: 'DROPPED', dropReason: 181 });
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
  });

  test('an egress deny to a CIDR inside an allowed world', () => {
    const c = compile(
      [cnp({ egress: [{ toEntities: ['world'] }], egressDeny: [{ toCIDR: ['192.0.2.0/24'] }] })],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.2', '192.0.2.1', 443))).toMatchObject({ verdict: 'DROPPED', dropReason: 181 });
    expect(decide(c, tcp('10.1.0.2', '8.8.8.8', 443)).verdict).toBe('FORWARDED');
  });
});

describe('Kubernetes NetworkPolicy', () => {
  const np = (spec: Record<string, unknown>) => ({
    kind: 'NetworkPolicy',
    metadata: { name: 'np', namespace: 'prod' },
    spec: { podSelector: { matchLabels: { app: 'db' } }, ...spec },
  });

  test('podSelector peers are this namespace; namespaceSelector peers are other namespaces by their labels', () => {
    const c = compile(
      [
        np({
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: { app: 'web' } } },
                { namespaceSelector: { matchLabels: { team: 'lab' } } },
              ],
            },
          ],
        }),
      ],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.2.0.1', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 5432)).verdict).toBe('DROPPED');
  });

  test('a rule without peers allows everyone on its ports; the default protocol is TCP', () => {
    const c = compile([np({ ingress: [{ ports: [{ port: 5432 }] }] })], cluster);
    expect(decide(c, tcp('8.8.8.8', '10.1.0.2', 5432)).verdict).toBe('FORWARDED');
    expect(decide(c, { src: '8.8.8.8', dst: '10.1.0.2', protocol: 17, dport: 5432 }).verdict).toBe('DROPPED');
  });

  test('policyTypes Egress with no rules denies all egress and leaves ingress open', () => {
    const c = compile([np({ policyTypes: ['Egress'] })], cluster);
    expect(decide(c, tcp('10.1.0.2', '10.1.0.1', 80)).verdict).toBe('DROPPED');
    expect(decide(c, tcp('10.1.0.1', '10.1.0.2', 80)).verdict).toBe('FORWARDED');
  });

  test('ipBlock with except', () => {
    const c = compile(
      [
        np({
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.0/28'] } }] }],
        }),
      ],
      cluster,
    );
    expect(decide(c, tcp('10.1.0.2', '192.0.2.100', 80)).verdict).toBe('FORWARDED');
    expect(decide(c, tcp('10.1.0.2', '192.0.2.1', 80)).verdict).toBe('DROPPED');
  });
});

describe('bad input', () => {
  test('a field the lab does not enforce is named with its policy and path', () => {
    expect(() => compile([cnp({ egress: [{ toServices: [{}] }] })], cluster)).toThrow(
      "CiliumNetworkPolicy prod/p: spec.egress[0]: toServices: not enforced by the lab's datapath",
    );
  });

  test('a named port, a bad CIDR and an unknown entity are refused with where they are', () => {
    expect(() => compile([cnp({ ingress: [{ toPorts: [{ ports: [{ port: 'http' }] }] }] })], cluster)).toThrow(
      /prod\/p: spec\.ingress\[0\]\.toPorts\[0\]\.ports\[0\]\.port/,
    );
    expect(() => compile([cnp({ egress: [{ toCIDR: ['10.0.0.0/33'] }] })], cluster)).toThrow(PolicyError);
    expect(() => compile([cnp({ egress: [{ toEntities: ['galaxy'] }] })], cluster)).toThrow(/toEntities\[0\]/);
  });

  test('an L7 rule in a deny section is refused', () => {
    expect(() =>
      compile(
        [cnp({ ingressDeny: [{ toPorts: [{ ports: [{ port: '80' }], rules: { http: [{ method: 'GET' }] } }] }] })],
        cluster,
      ),
    ).toThrow(/ingressDeny\[0\]: L7 rules cannot deny/);
  });
});
