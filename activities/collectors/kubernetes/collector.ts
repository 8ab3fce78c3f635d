// The `kubernetes` collector: pods with readiness and restarts, Deployments,
// EndpointSlices, recent Warning events, the NetworkPolicies and Cilium
// policies that select the pods, HTTPRoutes with weights, nodes. Transient API
// errors are retried inside the budget; 403/404 become findings.
import { z } from 'zod';
import { parseDuration } from '../../../model/index.ts';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { listParam, optionalText } from '../params.ts';
import { budget, collect, errorText, within } from '../result.ts';
import { policyContent, type PolicyHistory } from '../../actions/history.ts';
import { assembleKube, type KubeEvidence } from './assemble.ts';
import type { Kube } from './client.ts';
import { takePolicies, takeSnapshot } from './snapshot.ts';

/** A Kube, or a function that makes one on first use (a bad kubeconfig then becomes a finding). */
export type KubeSource = Kube | (() => Kube);

export function resolveKube(source: KubeSource | undefined): { kube?: Kube; error?: string } {
  if (!source) return { error: 'no Kubernetes access configured (set KUBECONFIG, or run in a cluster)' };
  try {
    return { kube: typeof source === 'function' ? source() : source };
  } catch (err) {
    return { error: errorText(err) };
  }
}

const paramsSchema = z.object({
  namespace: z.string().min(1).default('default'),
  /** More namespaces to look at (a workload's peers may live elsewhere). */
  namespaces: listParam,
  selector: optionalText,
  /** A Deployment name; shorthand for selector app=<workload>. */
  workload: optionalText,
  window: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "1h"')
    .default('1h'),
});

export function createKubernetesCollector(source: KubeSource | undefined, history?: PolicyHistory) {
  return async function collectKubernetes(call: StepCall): Promise<CollectorResult<KubeEvidence>> {
    const time = budget(10_000);
    return collect<KubeEvidence>('kubernetes', async (findings) => {
      const params = paramsSchema.safeParse(call.params);
      if (!params.success) {
        findings.add(
          'kubernetes.unavailable',
          'warning',
          `kubernetes collector: bad params: ${z.prettifyError(params.error)}`,
        );
        return undefined;
      }
      const { kube, error } = resolveKube(source);
      if (!kube) {
        findings.add('kubernetes.unavailable', 'warning', `kubernetes collector: ${error}`);
        return undefined;
      }
      const p = params.data;
      const namespaces = [...new Set([p.namespace, ...(p.namespaces ?? [])])];
      const selector = p.selector ?? (p.workload ? `app=${p.workload}` : undefined);
      const snapshot = await within(
        takeSnapshot(kube, namespaces, selector, time.deadline),
        time.left(),
        () => undefined,
      );
      if (!snapshot) {
        findings.add(
          'kubernetes.unavailable',
          'warning',
          `kubernetes collector: the API server did not answer within ${Math.round(time.left() / 1000)} s`,
        );
        return undefined;
      }
      const unreachable = snapshot.problems.length > 0 && snapshot.problems.every((pr) => pr.kind === 'failed');
      if (unreachable) {
        findings.add(
          'kubernetes.unavailable',
          'warning',
          `kubernetes collector: every API call failed, e.g. ${snapshot.problems[0]?.message ?? '?'}`,
        );
        return undefined;
      }
      const evidence = assembleKube(snapshot, parseDuration(p.window) ?? 3_600_000, findings);
      if (history) await remember(history, evidence, snapshot.at).catch(() => undefined);
      return evidence;
    });
  };
}

/** Every policy version seen goes into nightshift's record, so restore-policy knows what came before. */
async function remember(history: PolicyHistory, evidence: KubeEvidence, at: string): Promise<void> {
  await recordVersions(
    history,
    evidence.policies.map((p) => p.object),
    at,
  );
}

async function recordVersions(history: PolicyHistory, objects: unknown[], at: string): Promise<number> {
  let recorded = 0;
  for (const o of objects) {
    const object = z
      .object({
        kind: z.string(),
        metadata: z
          .object({ name: z.string(), namespace: z.string().optional(), resourceVersion: z.string().optional() })
          .loose(),
      })
      .loose()
      .safeParse(o);
    if (!object.success) continue;
    const { kind, metadata } = object.data;
    const key = { kind, ...(metadata.namespace ? { namespace: metadata.namespace } : {}), name: metadata.name };
    if (await history.record(key, policyContent(object.data), metadata.resourceVersion, at)) recorded++;
  }
  return recorded;
}

/**
 * One pass of the worker's policy recorder: every policy in the cluster read, each new version kept,
 * so that restore-policy knows the version before a change even when no run saw it.
 */
export async function recordClusterPolicies(
  source: KubeSource | undefined,
  history: PolicyHistory,
  timeoutMs = 10_000,
): Promise<{ policies: number; recorded: number; problems: string[] }> {
  const { kube, error } = resolveKube(source);
  if (!kube) return { policies: 0, recorded: 0, problems: [error ?? 'no Kubernetes access'] };
  const at = new Date().toISOString();
  const { policies, problems } = await takePolicies(kube, Date.now() + timeoutMs);
  const recorded = await recordVersions(history, policies, at);
  return {
    policies: policies.length,
    recorded,
    problems: problems.filter((p) => p.kind !== 'not-found').map((p) => `${p.what}: ${p.message}`),
  };
}
