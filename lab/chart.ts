// nightshift's own permissions in the lab, from its own chart: `lab up`
// renders deploy/helm/nightshift with helm (the lab's values below) and
// applies the chart's ServiceAccounts and RBAC to the lab API server, then
// asks the API server for a token of the worker's ServiceAccount
// (TokenRequest) and writes the kubeconfig the lab's control workers use. So
// every run in the lab (the demo, the scenario tests, game days) reads and
// changes the cluster with exactly the verbs the chart grants: a permission
// the chart lacks is a 403 naming the verb and resource, as on a cluster.
// With `lab up --chart` (installChart) the chart's workloads run too, as
// pods of the node simulator, in place of the lab's own worker and agents.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { findTool, REPO_ROOT } from '../worker/base.ts';
import { applyObjects, parseManifest } from './apply.ts';
import { writeTokenKubeconfig } from './kubeconfig.ts';
import type { LabPaths } from './paths.ts';
import { LabError, run } from './sh.ts';

export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'nightshift');

/** The release as `helm install nightshift deploy/helm/nightshift -n nightshift` would name it. */
export const LAB_RELEASE = { name: 'nightshift', namespace: 'nightshift' } as const;
/** The worker's ServiceAccount the chart makes (`<release>-worker`, the release name holding the chart's). */
export const LAB_WORKER_SA = `${LAB_RELEASE.name}-worker`;
/** The gateway's Service the chart makes (`<release>-gateway`). */
export const LAB_GATEWAY_SERVICE = `${LAB_RELEASE.name}-gateway`;

/**
 * The lab's values: remediation where the shop's runbooks remediate
 * (production and finance, and kube-system for restarting CoreDNS) and node
 * cordoning on, since the lab's node-loss scenario offers it.
 */
export const LAB_CHART_VALUES = {
  remediation: { namespaces: ['production', 'finance', 'kube-system'], cordonNodes: true },
} as const;

/** A lab runs for hours; the token outlives it (a pod's projected token would be refreshed instead). */
const TOKEN_SECONDS = 7 * 24 * 3600;

/** The chart's templates that carry permissions: what the lab takes from the chart today. */
const PERMISSION_TEMPLATES = ['templates/serviceaccounts.yaml', 'templates/rbac.yaml'];

/** The chart as helm renders it with these values (only the given templates, when named). */
async function renderChart(
  paths: LabPaths,
  values: object,
  templates: readonly string[] = [],
): Promise<KubernetesObject[]> {
  const helm = findTool('helm');
  if (!helm) throw new LabError('helm binary not found (build it with scripts/build-servers.sh)');
  const file = join(paths.root, 'chart-values.json');
  writeFileSync(file, `${JSON.stringify(values, null, 2)}\n`);
  const text = await run(helm, [
    'template',
    LAB_RELEASE.name,
    CHART_DIR,
    '--namespace',
    LAB_RELEASE.namespace,
    '--values',
    file,
    ...templates.flatMap((t) => ['--show-only', t]),
  ]);
  return parseManifest(text, `helm template ${CHART_DIR}`);
}

/** The chart's ServiceAccounts and RBAC as helm renders them with the lab's values. */
export function renderChartPermissions(paths: LabPaths): Promise<KubernetesObject[]> {
  return renderChart(paths, LAB_CHART_VALUES, PERMISSION_TEMPLATES);
}

/** The release namespace, Pod Security `restricted` as deploy/README.md asks. */
const RELEASE_NAMESPACE: KubernetesObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: LAB_RELEASE.namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
};

/** A Secret in the release namespace, made by the lab as an operator would before installing. */
export function labSecret(name: string, data: Record<string, string>): KubernetesObject & { stringData: object } {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: LAB_RELEASE.namespace }, stringData: data };
}

/**
 * `lab up --chart`: the whole chart (workloads too) rendered with `values`
 * and applied with the lab admin's credentials, after the Secrets its
 * existingSecret values name. The node simulator then runs its pods.
 */
export async function installChart(kc: KubeConfig, paths: LabPaths, values: object, secrets: KubernetesObject[]) {
  const objects = await renderChart(paths, values);
  await applyObjects(kc, [RELEASE_NAMESPACE, ...secrets], 'the lab (namespace and Secrets for the chart)');
  await applyObjects(kc, objects, 'deploy/helm/nightshift');
}

/**
 * Apply the chart's permissions into its namespace (Pod Security
 * `restricted`, as deploy/README.md asks) and write the worker's kubeconfig
 * with a token of its ServiceAccount.
 */
export async function installChartPermissions(kc: KubeConfig, paths: LabPaths, caCert: string): Promise<void> {
  const objects = await renderChartPermissions(paths);
  await applyObjects(kc, [RELEASE_NAMESPACE, ...objects], 'deploy/helm/nightshift');
  await writeWorkerKubeconfig(kc, paths, caCert);
}

/**
 * A kubeconfig with a token of the chart's worker ServiceAccount, for the
 * control workers the lab's tests and benchmarks start beside the chart's
 * (their own task queues): the same permissions as the worker pods.
 */
export async function writeWorkerKubeconfig(kc: KubeConfig, paths: LabPaths, caCert: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const answer = await core
    .createNamespacedServiceAccountToken({
      name: LAB_WORKER_SA,
      namespace: LAB_RELEASE.namespace,
      body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
    })
    .catch((err: unknown) => {
      throw new LabError(
        `cannot get a token for ServiceAccount ${LAB_RELEASE.namespace}/${LAB_WORKER_SA}: ${(err as Error).message}`,
      );
    });
  const token = answer.status?.token;
  if (!token) throw new LabError(`the TokenRequest for ${LAB_RELEASE.namespace}/${LAB_WORKER_SA} returned no token`);
  writeTokenKubeconfig(
    paths.workerKubeconfig,
    caCert,
    token,
    `system:serviceaccount:${LAB_RELEASE.namespace}:${LAB_WORKER_SA}`,
  );
}
