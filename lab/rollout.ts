// Waiting for the shop: every Deployment in the lab's namespaces has all its
// replicas updated and available.
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './health.ts';

export const SHOP_NAMESPACES = ['production', 'finance'] as const;

export async function waitDeploymentsAvailable(kc: KubeConfig, timeoutMs: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  let waiting: string[] = [];
  await waitFor(
    () => `Deployments to become available (still waiting: ${waiting.join(', ') || 'none listed yet'})`,
    timeoutMs,
    async () => {
      const lists = await Promise.all(SHOP_NAMESPACES.map((namespace) => apps.listNamespacedDeployment({ namespace })));
      const deployments = lists.flatMap((list) => list.items);
      waiting = deployments
        .filter((d) => {
          const want = d.spec?.replicas ?? 1;
          const s = d.status;
          return (
            !s ||
            (s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0) ||
            s.updatedReplicas !== want ||
            s.availableReplicas !== want
          );
        })
        .map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`);
      return deployments.length > 0 && waiting.length === 0 ? true : undefined;
    },
  );
}
