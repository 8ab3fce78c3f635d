// The shop of docs/scenario.md as API objects, written into a test API server
// (no controllers run there, so the test plays kubelet and gateway: it writes
// pod, deployment, node and route status itself).
import { readFileSync } from 'node:fs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Kube } from '../../../activities/collectors/kubernetes/index.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const fixture = (name: string): Record<string, unknown> =>
  parse(readFileSync(new URL(`../../fixtures/evidence/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

export async function createShop(kube: Kube): Promise<{ deploymentUid: string }> {
  for (const name of ['production', 'finance']) await kube.core.createNamespace({ body: { metadata: { name } } });
  for (const i of [1, 2, 3]) {
    const name = `lab-node-${i}`;
    await kube.core.createNode({
      body: { metadata: { name, annotations: { 'nightshift.dev/netns': `nightshift-lab-node-${i}` } } },
    });
    await kube.core.patchNodeStatus(
      {
        name,
        body: {
          status: {
            conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }],
            addresses: [{ type: 'InternalIP', address: `10.200.0.1${i}` }],
          },
        },
      },
      merge,
    );
  }
  const deployment = await kube.apps.createNamespacedDeployment({
    namespace: 'production',
    body: {
      metadata: { name: 'cart-service-v1', annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cart-service-v1' } },
        template: {
          metadata: { labels: { app: 'cart-service-v1' } },
          spec: { containers: [{ name: 'cart', image: 'cart:v2' }] },
        },
      },
    },
  });
  await kube.apps.patchNamespacedDeploymentStatus(
    {
      namespace: 'production',
      name: 'cart-service-v1',
      body: {
        status: { replicas: 2, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 2, observedGeneration: 1 },
      },
    },
    merge,
  );
  const uid = deployment.metadata?.uid ?? '';
  for (const [rev, image] of [
    ['1', 'cart:v1'],
    ['2', 'cart:v2'],
  ] as const) {
    await kube.apps.createNamespacedReplicaSet({
      namespace: 'production',
      body: {
        metadata: {
          name: `cart-service-v1-rs${rev}`,
          annotations: { 'deployment.kubernetes.io/revision': rev },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cart-service-v1', uid }],
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'cart-service-v1', 'pod-template-hash': `h${rev}` } },
          template: {
            metadata: { labels: { app: 'cart-service-v1', 'pod-template-hash': `h${rev}` } },
            spec: { containers: [{ name: 'cart', image }] },
          },
        },
      },
    });
  }
  for (const [i, ready, restarts] of [
    [0, true, 0],
    [1, false, 3],
  ] as const) {
    const name = `cart-service-v1-h2abcd-${i}x${i}x${i}`;
    await kube.core.createNamespacedPod({
      namespace: 'production',
      body: {
        metadata: {
          name,
          labels: { app: 'cart-service-v1', 'pod-template-hash': 'h2abcd' },
          annotations: { 'nightshift.dev/netns': `production.${name}` },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-service-v1-h2abcd', uid: 'rs' }],
        },
        spec: { nodeName: `lab-node-${i + 1}`, containers: [{ name: 'cart', image: 'cart:v2' }] },
      },
    });
    await kube.core.patchNamespacedPodStatus(
      {
        namespace: 'production',
        name,
        body: {
          status: {
            phase: 'Running',
            podIP: `10.244.${i + 1}.10`,
            conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
            containerStatuses: [
              {
                name: 'cart',
                image: 'cart:v2',
                imageID: '',
                ready,
                restartCount: restarts,
                ...(ready ? {} : { state: { waiting: { reason: 'CrashLoopBackOff' } } }),
              },
            ],
          },
        },
      },
      merge,
    );
  }
  await kube.discovery.createNamespacedEndpointSlice({
    namespace: 'production',
    body: {
      metadata: { name: 'cart-service-v2-x', labels: { 'kubernetes.io/service-name': 'cart-service-v2' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.3.10'], conditions: { ready: false } }],
    },
  });
  await kube.core.createNamespacedEvent({
    namespace: 'production',
    body: {
      metadata: { name: 'cart-backoff' },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      count: 4,
      involvedObject: { kind: 'Pod', name: 'cart-service-v1-h2abcd-1x1x1', namespace: 'production' },
      lastTimestamp: new Date(),
    },
  });
  await kube.custom.createNamespacedCustomObject({
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumnetworkpolicies',
    namespace: 'finance',
    body: fixture('policies/secure-payment-gateway-same-namespace.yaml'),
  });
  await kube.networking.createNamespacedNetworkPolicy({
    namespace: 'production',
    body: { metadata: { name: 'default-deny-ingress' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
  });
  const route = fixture('route-store-traffic-split.yaml');
  delete route.status;
  await kube.custom.createNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    namespace: 'production',
    body: route,
  });
  await writeRouteStatus(kube, 1);
  return { deploymentUid: uid };
}

/** Play the gateway controller: accept the route for `generation`. */
export async function writeRouteStatus(kube: Kube, generation: number): Promise<void> {
  const conditions = ['Accepted', 'ResolvedRefs'].map((type) => ({
    type,
    status: 'True',
    reason: type,
    message: '',
    lastTransitionTime: new Date().toISOString(),
    observedGeneration: generation,
  }));
  await kube.custom.patchNamespacedCustomObjectStatus(
    {
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: 'production',
      name: 'store-traffic-split',
      body: {
        status: {
          parents: [
            { parentRef: { name: 'external-gateway' }, controllerName: 'nightshift.dev/lab-gateway', conditions },
          ],
        },
      },
    },
    merge,
  );
}
