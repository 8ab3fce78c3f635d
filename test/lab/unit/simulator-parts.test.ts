// The node simulator's pure parts: IPs, images, env, pod status, names.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerEnv, EnvError } from '../../../lab/simulator/env.ts';
import { resolveImage } from '../../../lab/simulator/images.ts';
import { Ipam } from '../../../lab/simulator/ipam.ts';
import { podStatus } from '../../../lab/simulator/pod-status.ts';
import { resolvConf } from '../../../lab/simulator/podnet.ts';
import { podHostVethName, podNetnsName } from '../../../lab/topology.ts';

describe('node simulator parts', () => {
  test('pod IPs skip the bridge address and are not reused at once', () => {
    const ipam = new Ipam('10.244.2.0/24');
    const first = ipam.allocate();
    expect(first).toBe('10.244.2.2');
    ipam.release(first);
    expect(ipam.allocate()).toBe('10.244.2.3');
    expect(() => new Ipam('10.244.0.0/16')).toThrow(/only a.b.c.0\/24/);
  });

  test('images name lab workloads; anything else is refused with the known ones', () => {
    expect(resolveImage('nightshift-lab/cart-service:2.0')).toMatchObject({
      entrypoint: [process.execPath, expect.stringMatching(/workloads\/cart-service\.ts$/)],
      tag: '2.0',
      env: { IMAGE_TAG: '2.0' },
    });
    expect(() => resolveImage('nginx:1.27')).toThrow(/"nginx:1.27" is not an image the lab can run/);
    expect(() => resolveImage('nightshift-lab/redis')).toThrow(
      /known: .*nightshift-lab\/checkout-frontend, nightshift-lab\/cart-service/,
    );
  });

  test('env: values, $(VAR) references and the downward API', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'finance', labels: { app: 'payment-processor' } },
      spec: { nodeName: 'lab-node-2', containers: [] },
    };
    const container: V1Container = {
      name: 'c',
      env: [
        { name: 'PORT', value: '8080' },
        { name: 'URL', value: 'http://x:$(PORT)/' },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      ],
    };
    expect(containerEnv(pod, container, { podIp: '10.244.2.7', hostIp: '10.200.0.12' })).toEqual({
      PORT: '8080',
      URL: 'http://x:8080/',
      NS: 'finance',
      IP: '10.244.2.7',
      APP: 'payment-processor',
    });
    const resources: V1Container = {
      name: 'c',
      env: [{ name: 'K', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }],
    };
    expect(() => containerEnv(pod, resources, { podIp: '', hostIp: '' })).toThrow(EnvError);
  });

  test('pod status: Running and Ready only when every container runs and is ready; transitions keep their time', () => {
    const startedAt = new Date('2026-01-01T00:00:00Z');
    const view = (ready: boolean) => ({
      podIp: '10.244.1.5',
      hostIp: '10.200.0.11',
      startTime: startedAt,
      containers: [
        {
          name: 'c',
          image: 'nightshift-lab/cart-service:1',
          state: { kind: 'running' as const, startedAt },
          ready,
          restartCount: 0,
          lastTermination: undefined,
          pid: 42,
        },
      ],
    });
    const first = podStatus(view(false), [], new Date('2026-01-01T00:00:01Z'));
    expect(first.phase).toBe('Running');
    expect(first.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    const second = podStatus(view(true), first.conditions, new Date('2026-01-01T00:00:05Z'));
    expect(second.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: '2026-01-01T00:00:05Z',
    });
    expect(second.conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('2026-01-01T00:00:01Z');
    expect(second.podIP).toBe('10.244.1.5');
    expect(second.containerStatuses[0]).toMatchObject({ ready: true, started: true, containerID: 'lab://42' });
  });

  test('names: netns <namespace>.<pod>, veths short enough for the kernel, resolv.conf with the cluster search path', () => {
    expect(podNetnsName('production', 'cart-service-v1-abc')).toBe('production.cart-service-v1-abc');
    const veth = podHostVethName('production', 'a'.repeat(63), 'uid');
    expect(veth).toMatch(/^lxc[0-9a-f]{11}$/);
    expect(veth.length).toBeLessThanOrEqual(15);
    expect(resolvConf('finance', 'p')).toContain(
      'search finance.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5',
    );
  });
});
