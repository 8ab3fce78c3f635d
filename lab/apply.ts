// Applying the lab's objects with server-side apply (field manager
// nightshift-lab): the CRDs (lab/crds/) and the YAML manifests in
// lab/manifests/ (the shop, its route and its policy).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { LAB_CRDS } from './crds/index.ts';
import { waitFor } from './health.ts';
import { FIELD_MANAGER, isStatus } from './k8s.ts';
import { LabError, run } from './sh.ts';
import { findTool } from '../worker/base.ts';

export const MANIFESTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'manifests');
/** The shop's working payment policy, which `lab up` applies. */
export const LAB_POLICY = join(MANIFESTS_DIR, '40-policy.yaml');
/** The 3 AM change of docs/scenario.md: the seed's payment policy, applied over the lab's working one. */
export const POLICY_3AM = join(dirname(fileURLToPath(import.meta.url)), 'scenarios', 'policy-3am.yaml');

const objectSchema = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }).loose(),
  })
  .loose();

/** The objects of a multi-document YAML text, validated enough to apply. */
export function parseManifest(text: string, source: string): KubernetesObject[] {
  return parseAllDocuments(text).flatMap((doc, index) => {
    if (doc.errors.length > 0) throw new LabError(`${source} document ${index + 1}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    const parsed = objectSchema.safeParse(value);
    if (!parsed.success) {
      throw new LabError(
        `${source} document ${index + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return [parsed.data];
  });
}

async function applyOne(client: KubernetesObjectApi, object: KubernetesObject): Promise<void> {
  await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/** Retry while the namespace or kind is not there yet (404); any other refusal is final. */
async function applyWithRetry(client: KubernetesObjectApi, object: KubernetesObject, source: string): Promise<void> {
  const what = `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name} (${source})`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await applyOne(client, object);
      return;
    } catch (err) {
      const retry =
        isStatus(err, 404) ||
        isStatus(err, 429) ||
        isStatus(err, 500) ||
        isStatus(err, 503) ||
        !(err instanceof ApiException);
      if (!retry || Date.now() > deadline) {
        const detail =
          err instanceof ApiException ? `HTTP ${err.code}: ${JSON.stringify(err.body)}` : (err as Error).message;
        throw new LabError(`cannot apply ${what}: ${detail}`);
      }
      await sleep(200);
    }
  }
}

async function waitEstablished(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await Promise.all(
    LAB_CRDS.map((crd) =>
      waitFor(`CRD ${crd.metadata.name} to be established`, 30_000, async () => {
        const found = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
        return found.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      }),
    ),
  );
}

/** Apply objects from one source at once, each retried while its namespace or kind is not there yet. */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[], source: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  await Promise.all(objects.map((object) => applyWithRetry(client, object, source)));
}

/** Apply one manifest file (server-side, as `lab up` does): e.g. POLICY_3AM, then LAB_POLICY to put it back. */
export async function applyFile(kc: KubeConfig, file: string): Promise<void> {
  await applyObjects(kc, parseManifest(readFileSync(file, 'utf8'), file), file);
}

/**
 * Apply the CRDs and every manifest at once. An object whose namespace or
 * kind does not exist yet (its CRD is not served yet) is retried until it
 * does, so the order of files does not cost time.
 */
export async function applyLab(kc: KubeConfig, kubeconfig: string, dir = MANIFESTS_DIR): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const objects = files.flatMap((file) =>
    parseManifest(readFileSync(join(dir, file), 'utf8'), file).map((object) => ({ object, file })),
  );
  await Promise.all([
    applyCrds(kubeconfig),
    ...objects.map(({ object, file }) => applyWithRetry(client, object, file)),
  ]);
  await waitEstablished(kc);
}

/**
 * The CRDs go through kubectl: client-node's typed serializer drops
 * `x-kubernetes-preserve-unknown-fields`, which would strip every free-form
 * field (HTTPRoute status among them) from the stored objects.
 */
async function applyCrds(kubeconfig: string): Promise<void> {
  const kubectl = findTool('kubectl');
  if (!kubectl) throw new LabError('kubectl binary not found (build it with scripts/build-servers.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-crds-'));
  try {
    const file = join(dir, 'crds.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: LAB_CRDS }));
    await run(kubectl, [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      '-f',
      file,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
