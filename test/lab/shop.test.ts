// The shop misbehaves on demand, as the scenarios need: an admin toggle for
// instant errors, a bad canary deployed with `kubectl set env`, traffic moved
// off it by shifting the HTTPRoute's weights, and a crashed pod process
// restarted and counted by the node simulator.
import { setTimeout as sleep } from 'node:timers/promises';
import { probeSummary } from '../../lab/index.ts';
import { kubectl, pods, until } from './helpers/lab.ts';
import { run } from '../../lab/sh.ts';
import { useLab } from './helpers/use-lab.ts';

/** The probe's timeout: every request sent before a change has its answer within this. */
const IN_FLIGHT_MS = 2000;

/** Probe numbers over `seconds` whole seconds starting at or after `since` (ms), once they are over. */
async function probeOver(since: number, seconds: number) {
  const first = Math.ceil(since / 1000);
  await sleep(Math.max(0, (first + seconds) * 1000 + 200 - Date.now()));
  const summary = await probeSummary(Math.floor(Date.now() / 1000) - first);
  if (summary.from < first) throw new Error(`the probe window starts at ${summary.from}, before ${first}`);
  return summary;
}

describe('the shop misbehaves on demand', () => {
  const lab = useLab();

  test('the admin endpoint turns errors on and off at once', async () => {
    const status = await lab.status();
    const carts = (await pods(status.kubeconfig, ['-n', 'production', '-l', 'app=cart-service-v1'])).map(
      (p) => p.status.podIP,
    );
    for (const ip of carts) {
      const res = await fetch(`http://${ip}:9901/admin/misbehave`, {
        method: 'PUT',
        body: JSON.stringify({ errorRate: 1 }),
      });
      expect(await res.json()).toEqual({ errorRate: 1, errorStatus: 500, delayMs: 0 });
    }
    const broken = Date.now();
    try {
      const during = await probeOver(broken + IN_FLIGHT_MS, 3);
      // v2 (a tenth of the cart traffic) still answers; printed in full should it not hold.
      expect({
        under30: during.successRate < 0.3,
        successRate: during.successRate,
        requests: during.requests,
        reasons: during.failureReasons,
      }).toMatchObject({ under30: true });
      expect(during.failureKinds['http-502']).toBeGreaterThan(0);
      // The probe says why: the frontend's answer names the cart's status and the frontend pod.
      expect(Object.keys(during.failureReasons ?? {})).toContainEqual(
        expect.stringMatching(/^http-502: cart answered 500 \(checkout-frontend-[\w-]+\)$/),
      );
    } finally {
      for (const ip of carts) await fetch(`http://${ip}:9901/admin/misbehave`, { method: 'DELETE' });
    }
    const fixed = Date.now();
    const healed = await probeOver(fixed + IN_FLIGHT_MS, 3);
    expect({ failures: healed.failures, reasons: healed.failureReasons ?? {} }).toEqual({ failures: 0, reasons: {} });
    const bad = await fetch(`http://${carts[0]}:9901/admin/misbehave`, { method: 'PUT', body: '{"errorRate": 2}' });
    expect(bad.status).toBe(400);
  });

  test('a bad canary from `kubectl set env` fails about a tenth of checkouts, and shifting weights to v1 ends it', async () => {
    const kc = (await lab.status()).kubeconfig;
    await kubectl(kc, ['-n', 'production', 'set', 'env', 'deployment/cart-service-v2', 'NIGHTSHIFT_ERROR_RATE=1']);
    await kubectl(kc, ['-n', 'production', 'rollout', 'status', 'deployment/cart-service-v2', '--timeout=90s']);
    await sleep(3000);
    const canary = await probeOver(Date.now(), 12);
    expect(canary.successRate).toBeGreaterThan(0.75);
    expect(canary.successRate).toBeLessThan(0.97);

    await kubectl(kc, [
      '-n',
      'production',
      'patch',
      'httproute',
      'store-traffic-split',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 100 },
        { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 0 },
      ]),
    ]);
    const shifted = Date.now();
    const after = await probeOver(shifted + IN_FLIGHT_MS, 4);
    expect({ failures: after.failures, reasons: after.failureReasons ?? {} }).toEqual({ failures: 0, reasons: {} });

    await kubectl(kc, ['-n', 'production', 'set', 'env', 'deployment/cart-service-v2', 'NIGHTSHIFT_ERROR_RATE-']);
    await kubectl(kc, [
      '-n',
      'production',
      'patch',
      'httproute',
      'store-traffic-split',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 90 },
        { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 10 },
      ]),
    ]);
    await kubectl(kc, ['-n', 'production', 'rollout', 'status', 'deployment/cart-service-v2', '--timeout=90s']);
    for (const pod of await pods(kc, ['-n', 'production'])) lab.seen(`production.${pod.metadata.name}`);
  });

  test('a pod whose process dies is restarted in the same namespace and counted', async () => {
    const kc = (await lab.status()).kubeconfig;
    const [pod] = await pods(kc, ['-n', 'finance', '-l', 'app=postgres-db']);
    if (!pod) throw new Error('no postgres-db pod');
    const netns = pod.metadata.annotations['nightshift.dev/netns'] ?? '';
    const [pid] = (await run('ip', ['netns', 'pids', netns]))
      .split('\n')
      .map(Number)
      .filter((n) => n > 0);
    if (!pid) throw new Error(`nothing runs in ${netns}`);
    process.kill(pid, 'SIGKILL');
    const jsonpath = '{.status.containerStatuses[0].restartCount} {.status.conditions[?(@.type=="Ready")].status}';
    await until('the pod to be restarted and ready again', 30_000, async () => {
      const out = await kubectl(kc, ['-n', 'finance', 'get', 'pod', pod.metadata.name, '-o', `jsonpath=${jsonpath}`]);
      return out.trim() === '1 True' ? out : undefined;
    });
    const pids = (await run('ip', ['netns', 'pids', netns]))
      .split('\n')
      .map(Number)
      .filter((n) => n > 0);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(pid);
  });
});
