// Protected peers as the node agent resolves them: an address and the port
// its service listens on (from the endpoint, its URL scheme, or a default),
// so a fault keeps the control plane's service and not the rest of its host.
import { describe, expect, test } from '@jest/globals';
import { keepEntry, portOf, resolveProtected } from '../../activities/faults/protect.ts';
import { loadConfig } from '../../worker/config.ts';
import { controlPlaneEndpoints } from '../../worker/node-agent.ts';

describe('protected peers', () => {
  test('ports from endpoints: given, from the scheme, or none', () => {
    expect(portOf('https://10.200.0.1:6443')).toBe(6443);
    expect(portOf('https://api.example.test')).toBe(443);
    expect(portOf('http://[fd00::1]:2379')).toBe(2379);
    expect(portOf('10.200.0.1:7233')).toBe(7233);
    expect(portOf('[fd00::2]:53')).toBe(53);
    expect(portOf('fd00::2')).toBeUndefined();
    expect(portOf('10.96.0.10')).toBeUndefined();
  });

  test('resolved to address and port, a default port where the endpoint names none, no duplicates', async () => {
    const peers = await resolveProtected([
      { what: 'Temporal frontend', endpoint: '10.200.0.1:7233' },
      { what: 'API server', endpoint: 'https://10.200.0.1:6443' },
      { what: 'API server', endpoint: 'https://10.200.0.1:6443/' },
      { what: 'etcd', endpoint: 'http://[fd00::0:1]:2379' },
      { what: 'cluster DNS', endpoint: '10.96.0.10', defaultPort: 53 },
      { what: 'configured', endpoint: '10.0.0.9' },
      { what: 'broken', endpoint: 'http://[' },
    ]);
    expect(peers).toEqual([
      { what: 'Temporal frontend', address: '10.200.0.1', port: 7233 },
      { what: 'API server', address: '10.200.0.1', port: 6443 },
      { what: 'etcd', address: 'fd00::1', port: 2379 },
      { what: 'cluster DNS', address: '10.96.0.10', port: 53 },
      { what: 'configured', address: '10.0.0.9' },
    ]);
    expect(peers.map(keepEntry)).toEqual([
      '10.200.0.1,7233',
      '10.200.0.1,6443',
      'fd00::1,2379',
      '10.96.0.10,53',
      '10.0.0.9',
    ]);
  });

  test("in a pod, the API server is the kubernetes Service's host on its port, not every port of that host", async () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '10.200.0.1:7233' });
    const env = { KUBERNETES_SERVICE_HOST: '10.200.0.1', KUBERNETES_SERVICE_PORT: '6443' };
    const peers = await resolveProtected(controlPlaneEndpoints(config, env));
    expect(peers.filter((p) => p.address === '10.200.0.1')).toEqual([
      { what: 'Temporal frontend', address: '10.200.0.1', port: 7233 },
      { what: 'API server', address: '10.200.0.1', port: 6443 },
    ]);
    const noPort = await resolveProtected(controlPlaneEndpoints(config, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }));
    expect(noPort.filter((p) => p.address === '10.96.0.1')).toEqual([
      { what: 'API server', address: '10.96.0.1', port: 443 },
    ]);
  });
});
