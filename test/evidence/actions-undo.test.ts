// A remediation keeps its undo when its first attempt changed the cluster and
// its answer was lost (a worker crash, a timeout, a cancellation): the retry
// with the same step key finds its own mark and returns the same undo, and
// the undo run without any result finds it by the step's key. A rollback's
// result never carries a pod template, so env values never reach Temporal
// history. Against a real kube-apiserver.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createActionActivities, FilePolicyHistory, policyContent } from '../../activities/actions/index.ts';
import type { StepCall } from '../../model/index.ts';
import { apiserverAvailable, startApiserver, type TestApiserver } from './helpers/apiserver.ts';
import { createShop } from './helpers/shop-objects.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const SECRET = 'hunter2-do-not-log';

const call = (params: StepCall['params'], step = 'fix'): StepCall => ({
  params,
  context: { workflowId: 'run-7', runbook: 'traffic-vanish', stepId: step, key: `run-7/${step}` },
});

const run = apiserverAvailable() ? describe : describe.skip;
if (!apiserverAvailable()) console.warn('SKIPPED action undo tests: needs .tools/bin/kube-apiserver and etcd');

run('undo survives a lost result; no pod template in a result', () => {
  let api: TestApiserver;
  const historyDir = mkdtempSync(join(tmpdir(), 'nightshift-undo-history-'));
  const history = new FilePolicyHistory(historyDir);
  const actions = () => createActionActivities({ kube: api.admin, policyHistory: history });

  beforeAll(async () => {
    api = await startApiserver();
    await createShop(api.admin);
    // Both revisions of cart-service-v1 carry a secret in their env, as real ones do.
    const containers = (image: string) => [{ name: 'cart', image, env: [{ name: 'DB_PASSWORD', value: SECRET }] }];
    for (const [rs, image] of [
      ['cart-service-v1-rs1', 'cart:v1'],
      ['cart-service-v1-rs2', 'cart:v2'],
    ] as const)
      await api.admin.apps.patchNamespacedReplicaSet(
        {
          namespace: 'production',
          name: rs,
          body: { spec: { template: { spec: { containers: containers(image) } } } },
        },
        merge,
      );
    await api.admin.apps.patchNamespacedDeployment(
      {
        namespace: 'production',
        name: 'cart-service-v1',
        body: { spec: { template: { spec: { containers: containers('cart:v2') } } } },
      },
      merge,
    );
  }, 150_000);
  afterAll(async () => {
    await api?.stop();
    rmSync(historyDir, { recursive: true, force: true });
  });

  const deployment = () =>
    api.admin.apps.readNamespacedDeployment({ namespace: 'production', name: 'cart-service-v1' });
  const target = { namespace: 'production', deployment: 'cart-service-v1', rolloutTimeout: '1s' };

  test('rollback-deployment: neither the dry run nor the result carries the template or its env values', async () => {
    const a = actions();
    const dry = await a.rollbackDeployment({ ...call(target, 'dry'), dryRun: true });
    expect(dry.summary).toContain('cart=cart:v2');
    const done = await a.rollbackDeployment(call(target, 'look'));
    expect(done.changed).toBe(true);
    expect(done.undo).toEqual({
      namespace: 'production',
      deployment: 'cart-service-v1',
      replicaSet: 'cart-service-v1-rs2',
      replacedRevision: '2',
    });
    for (const result of [dry, done]) {
      expect(JSON.stringify(result)).not.toContain(SECRET);
      expect(JSON.stringify(result)).not.toContain('containers');
    }
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe('cart:v1');
    const undone = await a.undoRollbackDeployment({ ...call(target, 'look'), undo: done.undo });
    expect(undone.changed).toBe(true);
    const d = await deployment();
    expect(d.spec?.template.spec?.containers[0]).toMatchObject({ image: 'cart:v2', env: [{ name: 'DB_PASSWORD' }] });
    expect(Object.keys(d.metadata?.annotations ?? {}).filter((k) => k.startsWith('nightshift.dev/rollback'))).toEqual(
      [],
    );
  });

  test("rollback-deployment: a retry returns the first attempt's undo; the undo works without any result", async () => {
    const a = actions();
    const first = await a.rollbackDeployment(call(target));
    expect(first.changed).toBe(true);
    // The first attempt's answer is lost; Temporal retries the step.
    const retry = await a.rollbackDeployment(call(target));
    expect(retry).toMatchObject({ changed: false, summary: expect.stringMatching(/already rolled back by this step/) });
    expect(retry.undo).toEqual(first.undo);
    // The step failed in the end: the undo is called with the step's own call only.
    const undone = await a.undoRollbackDeployment(call(target));
    expect(undone.changed).toBe(true);
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe('cart:v2');
    // Another step's undo leaves it alone.
    expect((await a.undoRollbackDeployment(call(target, 'other'))).changed).toBe(false);
  });

  test('cordon-node: the undo without any result uncordons what this step cordoned, and only that', async () => {
    const a = actions();
    expect((await a.cordonNode(call({ node: 'lab-node-1' }))).changed).toBe(true);
    expect((await a.uncordonNode(call({ node: 'lab-node-1' }, 'other'))).changed).toBe(false);
    expect((await api.admin.core.readNode({ name: 'lab-node-1' })).spec?.unschedulable).toBe(true);
    expect((await a.uncordonNode(call({ node: 'lab-node-1' }))).changed).toBe(true);
    expect((await api.admin.core.readNode({ name: 'lab-node-1' })).spec?.unschedulable).toBeFalsy();
  });

  test("shift-route-weight: a retry returns the first attempt's undo; the undo works without any result", async () => {
    const a = actions();
    const params = {
      namespace: 'production',
      route: 'store-traffic-split',
      backend: 'cart-service-v1',
      statusTimeout: '1s',
    };
    const first = await a.shiftRouteWeight(call(params));
    expect(first.changed).toBe(true);
    const retry = await a.shiftRouteWeight(call(params));
    expect(retry).toMatchObject({ changed: false, summary: expect.stringMatching(/already shifted by this step/) });
    expect(retry.undo).toEqual(first.undo);
    const undone = await a.undoShiftRouteWeight(call(params));
    expect(undone.changed).toBe(true);
    const route = (await api.admin.custom.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      namespace: 'production',
      name: 'store-traffic-split',
    })) as {
      metadata: { annotations?: Record<string, string> };
      spec: { rules: { backendRefs: { weight: number }[] }[] };
    };
    expect(route.spec.rules[0]?.backendRefs.map((b) => b.weight)).toEqual([90, 10]);
    expect(Object.keys(route.metadata.annotations ?? {}).filter((k) => k.startsWith('nightshift.dev/shifted'))).toEqual(
      [],
    );
  });

  test("restore-policy: a retry returns the first attempt's undo; the undo works without any result", async () => {
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
      spec: Record<string, unknown>;
    };
    await history.record(target, policyContent(before), undefined, new Date().toISOString());
    const tightened = { ...before.spec, ingress: [{}] };
    await api.admin.custom.replaceNamespacedCustomObject({ ...cnp, body: { ...before, spec: tightened } });
    const first = await a.restorePolicy(call(target));
    expect(first.changed).toBe(true);
    const retry = await a.restorePolicy(call(target));
    expect(retry.undo).toEqual(first.undo);
    const undone = await a.undoRestorePolicy(call(target));
    expect(undone.changed).toBe(true);
    const live = (await api.admin.custom.getNamespacedCustomObject(cnp)) as Record<string, unknown>;
    expect(policyContent(live)).toEqual({ spec: tightened });
  });
});
