// The Kubernetes API clients a collector or action needs, made once from a
// kubeconfig. Calls use the object-parameter API; failures are classified by
// ApiException code so 403/404 can become findings that say what is missing.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorText } from '../result.ts';

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  discovery: DiscoveryV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
}

/** Clients from a kubeconfig file, or from the default places (KUBECONFIG, ~/.kube/config, in-cluster). */
export function kubeFromConfig(kubeconfigPath?: string): Kube {
  const config = new KubeConfig();
  if (kubeconfigPath && !existsSync(kubeconfigPath)) {
    throw new Error(`KUBECONFIG names ${kubeconfigPath}, which does not exist`);
  }
  const missing = kubeconfigPath ? undefined : kubeAccessMissing();
  if (missing) throw new Error(missing);
  try {
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else config.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load the kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ''}: ${errorText(err)}`, {
      cause: err,
    });
  }
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    discovery: config.makeApiClient(DiscoveryV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
  };
}

/**
 * Why no Kubernetes access can be found in the default places, in words a
 * newcomer can act on; undefined when one of them is there. (Without any,
 * the client library falls back to http://localhost:8080 and fails later
 * with a TLS message that names none of this.)
 */
export function kubeAccessMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KUBECONFIG) return undefined;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return undefined;
  if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) return undefined;
  return (
    `no Kubernetes access configured: KUBECONFIG is unset, ${home} does not exist, and this is not a pod in a ` +
    'cluster (no KUBERNETES_SERVICE_HOST and service-account token); set KUBECONFIG to a kubeconfig file'
  );
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeFailure =
  | { kind: 'forbidden'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'transient'; message: string }
  | { kind: 'other'; message: string };

/** The API server's own sentence from an error body (a Status object, as JSON text or parsed), else its start. */
function statusMessage(body: unknown): string {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.slice(0, 200);
    }
  }
  const message = value !== null && typeof value === 'object' ? (value as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : JSON.stringify(value ?? '').slice(0, 200);
}

/** What went wrong with a call, in terms a finding can use. */
export function classify(err: unknown): KubeFailure {
  if (err instanceof ApiException) {
    const reason = statusMessage(err.body);
    if (err.code === 403 || err.code === 401) return { kind: 'forbidden', message: reason };
    if (err.code === 404) return { kind: 'not-found', message: reason };
    if (err.code === 429 || err.code >= 500) return { kind: 'transient', message: `HTTP ${err.code}: ${reason}` };
    return { kind: 'other', message: `HTTP ${err.code}: ${reason}` };
  }
  return { kind: 'transient', message: errorText(err) };
}

/** Retry transient failures a few times while the deadline allows; others fail at once. */
export async function withRetry<T>(call: () => Promise<T>, deadline: number, attempts = 3): Promise<T> {
  let delay = 150;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const failure = classify(err);
      if (failure.kind !== 'transient' || attempt >= attempts || Date.now() + delay >= deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}
