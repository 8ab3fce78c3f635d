// The bytes datapath.ts writes into policy.bpf.c's maps (layouts in
// lab/policy/policy.h; little-endian numbers, addresses in network order).
import { compile, mapEntries } from '../../../lab/policy/index.ts';
import { identityOf } from '../../../lab/hubble/index.ts';

const compiled = compile(
  [
    {
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'p', namespace: 'prod' },
      spec: {
        endpointSelector: { matchLabels: { app: 'db' } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { app: 'web' } }],
            toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }],
          },
        ],
        egressDeny: [{ toCIDR: ['192.0.2.0/24'] }],
      },
    },
  ],
  {
    pods: [
      { namespace: 'prod', name: 'db', labels: { app: 'db' }, ips: ['10.1.0.2'] },
      { namespace: 'prod', name: 'web', labels: { app: 'web' }, ips: ['10.1.0.1'] },
    ],
  },
);
const maps = mapEntries(compiled);
const le32 = (n: number) =>
  [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const web = identityOf(['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=prod']);
const db = identityOf(['k8s:app=db', 'k8s:io.kubernetes.pod.namespace=prod']);

describe('policy map encodings', () => {
  test('ipcache: {prefixlen, address} -> identity', () => {
    expect(maps.ipcache.get('20 00 00 00 0a 01 00 01')).toBe(le32(web));
    expect(maps.ipcache.get('18 00 00 00 c0 00 02 00')).toBe(le32(1 << 24));
  });

  test('endpoints: address -> {id, identity, flags: 1 ingress, 2 egress enforced}', () => {
    // db sorts first (prod/db before prod/web): endpoint 1, both directions enforced.
    expect(maps.endpoints.get('0a 01 00 02')).toBe(`01 00 00 00 ${le32(db)} 03 00 00 00`);
    expect(maps.endpoints.get('0a 01 00 01')).toBe(`02 00 00 00 ${le32(web)} 00 00 00 00`);
  });

  test('policy: {endpoint, identity, port, proto, dir} -> {deny, l7}', () => {
    expect(maps.policy.get(`01 00 00 00 ${le32(web)} 38 15 06 00`)).toBe('00 00 00 00');
    expect(maps.policy.get(`01 00 00 00 ${le32(1 << 24)} 00 00 00 01`)).toBe('01 00 00 00');
    // allow-localhost: identity 1, any protocol and port, ingress.
    expect(maps.policy.get('01 00 00 00 01 00 00 00 00 00 00 00')).toBe('00 00 00 00');
    expect(maps.policy.size).toBe(3);
  });
});
