// CiliumNetworkPolicy (cilium.io/v2) with a structural schema of our own:
// the rule fields nightshift's policy analyser reads (endpoint, CIDR, entity
// and FQDN selectors, L4 ports, L7 HTTP and DNS rules, deny rules).
import { anything, arr, bool, crd, enumOf, int, labelSelector, obj, str, strMap, type Schema } from './schema.ts';

const portProtocol: Schema = obj(
  {
    port: { type: 'string', pattern: '^(\\d{1,5}|[a-zA-Z0-9-]{1,15})$' },
    endPort: int,
    protocol: enumOf(['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 'ANY'], 'ANY'),
  },
  ['port'],
);

const httpRule: Schema = obj({ method: str, path: str, host: str, headers: arr(str) });
const dnsRule: Schema = obj({ matchName: str, matchPattern: str });

const portRule: Schema = obj({
  ports: arr(portProtocol, 40),
  rules: obj({ http: arr(httpRule), dns: arr(dnsRule), l7proto: str, l7: arr(strMap) }),
});

const fqdn: Schema = obj({ matchName: str, matchPattern: str });
const cidrRule: Schema = obj({ cidr: str, except: arr(str) }, ['cidr']);
const entities = arr(
  enumOf([
    'all',
    'world',
    'cluster',
    'host',
    'remote-node',
    'kube-apiserver',
    'ingress',
    'init',
    'health',
    'unmanaged',
    'none',
  ]),
);

const ingress: Schema = obj({
  fromEndpoints: arr(labelSelector),
  fromRequires: arr(labelSelector),
  fromCIDR: arr(str),
  fromCIDRSet: arr(cidrRule),
  fromEntities: entities,
  toPorts: arr(portRule),
  authentication: anything,
});

const egress: Schema = obj({
  toEndpoints: arr(labelSelector),
  toRequires: arr(labelSelector),
  toCIDR: arr(str),
  toCIDRSet: arr(cidrRule),
  toEntities: entities,
  toFQDNs: arr(fqdn),
  toServices: arr(anything),
  toPorts: arr(portRule),
  authentication: anything,
});

const rule: Schema = obj({
  description: str,
  endpointSelector: labelSelector,
  nodeSelector: labelSelector,
  ingress: arr(ingress),
  ingressDeny: arr(ingress),
  egress: arr(egress),
  egressDeny: arr(egress),
  enableDefaultDeny: obj({ ingress: bool, egress: bool }),
  labels: arr(obj({ key: str, value: str, source: str })),
});

export const ciliumNetworkPolicyCrd = crd(
  'cilium.io',
  {
    kind: 'CiliumNetworkPolicy',
    plural: 'ciliumnetworkpolicies',
    singular: 'ciliumnetworkpolicy',
    shortNames: ['cnp', 'ciliumnp'],
    categories: ['cilium', 'ciliumpolicy'],
  },
  [{ name: 'v2', storage: true, schema: obj({ spec: rule, specs: arr(rule), status: anything }) }],
);
