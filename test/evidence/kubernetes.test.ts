// The Kubernetes collector and the remediation actions against a real
// kube-apiserver: what the collector reports, 403/404 as findings, and each
// action's dry run, change, idempotence and undo.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createActionActivities, FilePolicyHistory, policyContent } from '../../activities/actions/index.ts';
import { createKubernetesCollector, type KubeEvidence } from '../../activities/collectors/kubernetes/index.ts';
import type { StepCall } from '../../model/index.ts';
import { apiserverAvailable, startApiserver, type TestApiserver } from './helpers/apiserver.ts';
import { createShop, writeRouteStatus } from './helpers/shop-objects.ts';
import { createLogger } from '../../worker/logger.ts';
import { startPolicyRecorder } from '../../worker/policy-recorder.ts';

const call = (params: StepCall['params'], extra: Partial<StepCall> = {}): StepCall => ({
  params,
  context: { workflowId: 'run-1', runbook: 'traffic-vanish', stepId: 'fix', key: 'run-1/fix' },
  ...extra,
});

const run = apiserverAvailable() ? describe : describe.skip;
if (!apiserverAvailable())
  console.warn('SKIPPED Kubernetes collector/action tests: needs .tools/bin/kube-apiserver and etcd');

run('Kubernetes evidence and actions on a real API server', () => {
  let api: TestApiserver;
  const historyDir = mkdtempSync(join(tmpdir(), 'nightshift-history-'));
  const history = new FilePolicyHistory(historyDir);

  beforeAll(async () => {
    api = await startApiserver();
    await createShop(api.admin);
  }, 150_000);
  afterAll(async () => {
    await api?.stop();
    rmSync(historyDir, { recursive: true, force: true });
  });

  const actions = () => createActionActivities({ kube: api.admin, policyHistory: history });

  test('the collector reports pods, workloads, empty services, events, policies, routes and nodes', async () => {
    const result = await createKubernetesCollector(
      api.admin,
      history,
    )(call({ namespace: 'production', namespaces: 'finance' }));
    expect(result.ok).toBe(true);
    const e = result.evidence as KubeEvidence;
    expect(e.pods.map((p) => [p.name, p.workload, p.ready, p.restarts, p.netns])).toEqual([
      ['cart-service-v1-h2abcd-0x0x0', 'cart-service-v1', true, 0, 'production.cart-service-v1-h2abcd-0x0x0'],
      ['cart-service-v1-h2abcd-1x1x1', 'cart-service-v1', false, 3, 'production.cart-service-v1-h2abcd-1x1x1'],
    ]);
    expect(e.workloads[0]).toMatchObject({ name: 'cart-service-v1', replicas: 2, ready: 1, revision: '2' });
    expect(e.services).toEqual([
      { namespace: 'production', name: 'cart-service-v2', ready: 0, notReady: 1, addresses: ['10.244.3.10'] },
    ]);
    expect(e.routes[0]?.rules[0]).toMatchObject({
      split: { stable: 'cart-service-v1', canaries: ['cart-service-v2'] },
      backends: [
        expect.objectContaining({ name: 'cart-service-v1', weight: 90, share: 0.9 }),
        expect.objectContaining({ name: 'cart-service-v2', weight: 10, share: 0.1 }),
      ],
    });
    expect(e.routes[0]?.statusCurrent).toBe(true);
    expect(e.nodes.map((n) => n.name)).toEqual(['lab-node-1', 'lab-node-2', 'lab-node-3']);
    const policies = Object.fromEntries(e.policies.map((p) => [p.name, p.selectsWorkloads]));
    expect(policies).toEqual({
      'NetworkPolicy production/default-deny-ingress': ['production/cart-service-v1'],
      'CiliumNetworkPolicy finance/secure-payment-gateway': [],
    });
    const kinds = result.findings.map((f) => f.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'kubernetes.pods-not-ready',
        'kubernetes.restarts',
        'kubernetes.endpoints-empty',
        'kubernetes.workload-degraded',
        'kubernetes.warning-events',
        'kubernetes.policy-changed',
        'kubernetes.route',
      ]),
    );
    // No CiliumClusterwideNetworkPolicy CRD here: a 404 that says so, not a failure.
    expect(result.findings.find((f) => f.kind === 'kubernetes.missing')?.summary).toMatch(
      /ciliumclusterwidenetworkpolicies.*CRD is not installed/,
    );
    expect(
      (await history.versions({ kind: 'CiliumNetworkPolicy', namespace: 'finance', name: 'secure-payment-gateway' }))
        .length,
    ).toBe(1);
  });

  test('without permissions every read is a finding naming the verb and resource', async () => {
    const result = await createKubernetesCollector(api.nobody)(call({ namespace: 'production' }));
    const forbidden = result.findings.filter((f) => f.kind === 'kubernetes.forbidden').map((f) => f.summary);
    expect(forbidden).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^nightshift may not list pods in production/),
        expect.stringMatching(/^nightshift may not list networkpolicies\.networking\.k8s\.io in all namespaces/),
      ]),
    );
  });

  test('shift-route-weight: dry run, change, status of the new generation, idempotence, undo', async () => {
    const a = actions();
    const params = {
      namespace: 'production',
      route: 'store-traffic-split',
      backend: 'cart-service-v1',
      statusTimeout: '10s',
    };
    const dry = await a.shiftRouteWeight(call(params, { dryRun: true }));
    expect(dry).toMatchObject({
      changed: false,
      summary: expect.stringContaining('rule 0: cart-service-v1 90 → 100, rule 0: cart-service-v2 10 → 0'),
    });
    const controller = setTimeout(() => void writeRouteStatus(api.admin, 2), 1500);
    const done = await a.shiftRouteWeight(call(params));
    clearTimeout(controller);
    expect(done.changed).toBe(true);
    expect(done.summary).toContain('status for generation 2: Accepted=True, ResolvedRefs=True');
    expect((await a.shiftRouteWeight(call(params))).changed).toBe(false);
    const undone = await a.undoShiftRouteWeight({ ...call(params), undo: done.undo });
    expect(undone.changed).toBe(true);
    const route = (await api.admin.custom.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: 'production',
      name: 'store-traffic-split',
    })) as { spec: { rules: { backendRefs: { weight: number }[] }[] } };
    expect(route.spec.rules[0]?.backendRefs.map((b) => b.weight)).toEqual([90, 10]);
  });

  test('cordon-node: cordons once, undo uncordons only what it cordoned', async () => {
    const a = actions();
    const first = await a.cordonNode(call({ node: 'lab-node-2' }));
    expect(first.changed).toBe(true);
    expect((await a.cordonNode(call({ node: 'lab-node-2' }))).changed).toBe(false);
    expect((await api.admin.core.readNode({ name: 'lab-node-2' })).spec?.unschedulable).toBe(true);
    expect((await a.uncordonNode({ ...call({}), undo: first.undo })).changed).toBe(true);
    expect((await api.admin.core.readNode({ name: 'lab-node-2' })).spec?.unschedulable).toBeFalsy();
    await api.admin.core.patchNode(
      { name: 'lab-node-3', body: { spec: { unschedulable: true } } },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const someoneElses = await a.cordonNode(call({ node: 'lab-node-3' }));
    expect(someoneElses).toEqual({
      changed: false,
      summary: 'node lab-node-3 was already cordoned (not by nightshift); left as it is',
    });
  });

  test('rollout-restart stamps the template once per step; a missing Deployment is NotFound', async () => {
    const a = actions();
    const first = await a.rolloutRestart(
      call({ namespace: 'production', deployment: 'cart-service-v1', rolloutTimeout: '1s' }),
    );
    expect(first.changed).toBe(true);
    expect(first.summary).toContain('rollout still in progress'); // no controller here
    const d = await api.admin.apps.readNamespacedDeployment({ namespace: 'production', name: 'cart-service-v1' });
    expect(d.spec?.template.metadata?.annotations?.['nightshift.dev/restart-key']).toBe('run-1/fix');
    expect(
      (await a.rolloutRestart(call({ namespace: 'production', deployment: 'cart-service-v1', rolloutTimeout: '1s' })))
        .changed,
    ).toBe(false);
    await expect(a.rolloutRestart(call({ namespace: 'production', deployment: 'nope' }))).rejects.toMatchObject({
      type: 'NotFound',
    });
  });

  test('rollback-deployment puts back the previous revision template; undo restores', async () => {
    const a = actions();
    const done = await a.rollbackDeployment(
      call({ namespace: 'production', deployment: 'cart-service-v1', rolloutTimeout: '1s' }),
    );
    expect(done.summary).toContain('rolled back from revision 2 to revision 1');
    let d = await api.admin.apps.readNamespacedDeployment({ namespace: 'production', name: 'cart-service-v1' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('cart:v1');
    await a.undoRollbackDeployment({ ...call({}), undo: done.undo });
    d = await api.admin.apps.readNamespacedDeployment({ namespace: 'production', name: 'cart-service-v1' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('cart:v2');
  });

  test("the worker's policy recorder keeps every policy's versions in every namespace, without any run", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-recorder-'));
    const own = new FilePolicyHistory(dir);
    const recorder = startPolicyRecorder(
      { kube: api.admin, policyHistory: own },
      createLogger({ level: 'silent', name: 'recorder-test' }),
      200,
    );
    const key = { kind: 'NetworkPolicy', namespace: 'production', name: 'default-deny-ingress' };
    try {
      await recorder.pass();
      // Both namespaces' policies, from the cluster-wide lists.
      expect((await own.versions(key)).length).toBe(1);
      expect(
        (await own.versions({ kind: 'CiliumNetworkPolicy', namespace: 'finance', name: 'secure-payment-gateway' }))
          .length,
      ).toBe(1);
      // A change nobody ran a collector for is kept by the next pass; the version before it stays.
      const live = await api.admin.networking.readNamespacedNetworkPolicy({ namespace: 'production', name: key.name });
      await api.admin.networking.replaceNamespacedNetworkPolicy({
        namespace: 'production',
        name: key.name,
        body: { ...live, spec: { ...live.spec, policyTypes: ['Ingress', 'Egress'] } },
      });
      const deadline = Date.now() + 10_000;
      while ((await own.versions(key)).length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const versions = await own.versions(key);
      expect(versions.map((v) => JSON.stringify(v.content).includes('Egress'))).toEqual([false, true]);
      await api.admin.networking.replaceNamespacedNetworkPolicy({
        namespace: 'production',
        name: key.name,
        body: {
          ...(await api.admin.networking.readNamespacedNetworkPolicy({ namespace: 'production', name: key.name })),
          spec: live.spec,
        },
      });
    } finally {
      recorder.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restore-policy: from nightshift record, with a diff in the dry run; idempotent; undo', async () => {
    const a = actions();
    const target = { kind: 'CiliumNetworkPolicy', namespace: 'finance', name: 'secure-payment-gateway' };
    const cnp = {
      group: 'cilium.io',
      version: 'v2',
      plural: 'ciliumnetworkpolicies',
      namespace: 'finance',
      name: 'secure-payment-gateway',
    };
    const before = (await api.admin.custom.getNamespacedCustomObject(cnp)) as Record<string, unknown> & {
      spec: { ingress?: unknown };
    };
    // Someone "tightens" the policy: ingress gone.
    await api.admin.custom.replaceNamespacedCustomObject({
      ...cnp,
      body: { ...before, spec: { ...before.spec, ingress: [{}] } },
    });
    const dry = await a.restorePolicy(call(target, { dryRun: true }));
    expect(dry.summary).toMatch(
      /would restore CiliumNetworkPolicy finance\/secure-payment-gateway from nightshift's record/,
    );
    expect(dry.summary).toContain('-     - {}\n+     - fromEndpoints:');
    const done = await a.restorePolicy(call(target));
    expect(done.changed).toBe(true);
    const live = (await api.admin.custom.getNamespacedCustomObject(cnp)) as Record<string, unknown>;
    expect(policyContent(live)).toEqual(policyContent(before));
    expect((await a.restorePolicy(call(target))).summary).toBe(
      'CiliumNetworkPolicy finance/secure-payment-gateway was already restored by this step',
    );
    expect((await a.undoRestorePolicy({ ...call(target), undo: done.undo })).changed).toBe(true);
    const unknown = await a.restorePolicy(
      call({ kind: 'NetworkPolicy', namespace: 'production', name: 'default-deny-ingress' }),
    );
    expect(unknown).toMatchObject({ changed: false, summary: expect.stringContaining('no earlier version') });
  });

  test('actions without permission fail as Forbidden, not as retries', async () => {
    const a = createActionActivities({ kube: api.nobody });
    await expect(a.cordonNode(call({ node: 'lab-node-1' }))).rejects.toMatchObject({
      type: 'Forbidden',
      nonRetryable: true,
    });
  });
});
