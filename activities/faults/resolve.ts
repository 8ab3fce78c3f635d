// Control side: a namespace + label selector → the running pods behind it,
// with their node (spec.nodeName), IP (status.podIP) and, in the lab, their
// network namespace (annotation nightshift.dev/netns). Through the API
// server with @kubernetes/client-node's object-parameter API.
import { ApiException, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ErrorType, failure } from '../../model/index.ts';
import type { ResolvedPod, ResolveRequest } from '../../model/index.ts';

export const NETNS_ANNOTATION = 'nightshift.dev/netns';

/** What the resolver needs from Kubernetes; tests wire a stand-in. */
export interface PodLister {
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
}

export function kubePodLister(kubeconfig?: KubeConfig): PodLister {
  let api: CoreV1Api | undefined;
  return {
    async listPods(namespace, labelSelector) {
      if (!api) {
        const kc = kubeconfig ?? new KubeConfig();
        if (!kubeconfig) kc.loadFromDefault();
        api = kc.makeApiClient(CoreV1Api);
      }
      const list = await api.listNamespacedPod({ namespace, labelSelector });
      return list.items;
    },
  };
}

export function selectorString(selector: ResolveRequest['selector']): string {
  if (typeof selector === 'string') return selector;
  return Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function apiFailure(err: unknown, what: string): unknown {
  if (!(err instanceof ApiException)) return err;
  const code = Number(err.code);
  if (code === 401 || code === 403) return failure(ErrorType.Forbidden, `${what}: the API server refused (${code})`);
  if (code === 404) return failure(ErrorType.NotFound, `${what}: not found`);
  if (code === 400 || code === 422) return failure(ErrorType.InvalidInput, `${what}: ${err.message}`);
  return failure(ErrorType.Transient, `${what}: API server answered ${code}`);
}

export async function resolvePods(lister: PodLister, req: ResolveRequest): Promise<ResolvedPod[]> {
  const selector = selectorString(req.selector);
  const what = `pods in ${req.namespace} matching "${selector}"`;
  let pods: V1Pod[];
  try {
    pods = await lister.listPods(req.namespace, selector);
  } catch (err) {
    throw apiFailure(err, what);
  }
  const onHost = pods.filter((pod) => pod.spec?.hostNetwork === true).map((pod) => pod.metadata?.name ?? '?');
  if (onHost.length > 0) {
    throw failure(
      ErrorType.Refused,
      `${what}: ${onHost.join(', ')} use${onHost.length === 1 ? 's' : ''} the host's network (hostNetwork): ` +
        'a fault there would hit the node itself; nothing attached',
    );
  }
  const running = pods.flatMap((pod): ResolvedPod[] => {
    const node = pod.spec?.nodeName;
    const ip = pod.status?.podIP;
    const name = pod.metadata?.name;
    if (!node || !ip || !name || pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) return [];
    const netns = pod.metadata?.annotations?.[NETNS_ANNOTATION];
    return [{ node, pod: { namespace: req.namespace, name, ip, ...(netns ? { netns } : {}) } }];
  });
  if (running.length === 0) throw failure(ErrorType.NotFound, `no running ${what}`);
  return running.sort((a, b) => a.pod.name.localeCompare(b.pod.name));
}
