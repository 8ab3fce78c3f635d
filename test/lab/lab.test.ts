// The lab end to end, against real everything: etcd, kube-apiserver,
// kube-controller-manager, CoreDNS, the node simulator, the shop, the gateway,
// the probe and Temporal. One lab for the file; `lab down` at the end must
// leave nothing behind.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { labUp, probeSummary, restartLabProcess } from '../../lab/index.ts';
import { qdiscs } from '../../bpf/qdisc.ts';
import { NODE_BRIDGE, nodeByName, NODES } from '../../lab/topology.ts';
import { inNetns, kubectl, linkMac, netnsList, pods, type LabPod } from './helpers/lab.ts';
import { useLab } from './helpers/use-lab.ts';
import { etcdAgreedLeader, etcdLeader, etcdPeersSeenDown } from './helpers/etcd.ts';

const SHOP: Record<string, number> = {
  'production/checkout-frontend': 2,
  'production/cart-service-v1': 2,
  'production/cart-service-v2': 1,
  'finance/payment-processor': 2,
  'finance/postgres-db': 1,
};

const execFileP = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

async function eventually(what: string, probe: () => Promise<true | undefined>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await probe().catch(() => undefined)) !== true) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

function app(pod: LabPod): string {
  return `${pod.metadata.namespace}/${pod.metadata.labels.app ?? '?'}`;
}

describe('the lab', () => {
  const lab = useLab();

  test('the shop answers through the probe at 100 % for 10 s', async () => {
    await sleep(11_000);
    const summary = await probeSummary(10);
    expect(summary.requests).toBeGreaterThanOrEqual(150);
    expect({ failures: summary.failures, reasons: summary.failureReasons ?? {} }).toEqual({ failures: 0, reasons: {} });
    expect(summary.successRate).toBe(1);
    expect(summary.p50Ms).toBeGreaterThan(0);
  });

  test('kubectl get pods -A shows every shop pod Running with a lab IP on a lab node', async () => {
    const status = await lab.status();
    // The shop's pods (nightshift's own, from its chart, are chart-lab.test.ts's).
    const list = (await pods(status.kubeconfig)).filter((p) =>
      ['production', 'finance'].includes(p.metadata.namespace),
    );
    const counts: Record<string, number> = {};
    for (const pod of list) counts[app(pod)] = (counts[app(pod)] ?? 0) + 1;
    expect(counts).toEqual(SHOP);
    for (const pod of list) {
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.podIP).toMatch(/^10\.244\.[123]\.\d+$/);
      const node = pod.spec.nodeName ?? '';
      expect(node).toMatch(/^lab-node-[123]$/);
      expect(pod.status.podIP?.split('.')[2]).toBe(node.slice(-1));
      expect(pod.metadata.annotations['nightshift.dev/netns']).toBe(`${pod.metadata.namespace}.${pod.metadata.name}`);
      expect(pod.metadata.annotations['nightshift.dev/host-interface']).toMatch(/^lxc[0-9a-f]{11}$/);
    }
    expect(new Set(list.map((p) => p.spec.nodeName)).size).toBe(3);
    const table = await kubectl(status.kubeconfig, ['get', 'pods', '-A', '-o', 'wide']);
    for (const pod of list) expect(table).toContain(pod.status.podIP);
    expect(await netnsList()).toEqual(
      expect.arrayContaining(list.map((p) => `${p.metadata.namespace}.${p.metadata.name}`)),
    );
  });

  test("DNS from the frontend's namespace resolves cart-service-v1 to its pod IPs", async () => {
    const status = await lab.status();
    const list = await pods(status.kubeconfig, ['-n', 'production']);
    const frontend = list.find((p) => p.metadata.labels.app === 'checkout-frontend');
    const cartIps = list
      .filter((p) => p.metadata.labels.app === 'cart-service-v1')
      .map((p) => p.status.podIP)
      .sort();
    expect(frontend).toBeDefined();
    const out = await inNetns(frontend?.metadata.annotations['nightshift.dev/netns'] ?? '', [
      'getent',
      'ahostsv4',
      'cart-service-v1.production.svc.cluster.local',
    ]);
    const resolved = [
      ...new Set(
        out
          .split('\n')
          .map((line) => line.split(/\s+/)[0])
          .filter(Boolean),
      ),
    ].sort();
    expect(resolved).toEqual(cartIps);
    // The short name works through the search path, as for any pod.
    const short = await inNetns(frontend?.metadata.annotations['nightshift.dev/netns'] ?? '', [
      'getent',
      'ahostsv4',
      'cart-service-v1',
    ]);
    expect(short).toContain(cartIps[0]);
  });

  test('kubectl rollout restart gives new pods in new namespaces while the probe keeps succeeding', async () => {
    const status = await lab.status();
    const kc = status.kubeconfig;
    const before = (await pods(kc, ['-n', 'production'])).filter((p) =>
      ['checkout-frontend', 'cart-service-v1'].includes(p.metadata.labels.app ?? ''),
    );
    const bridgeMacs = () => Promise.all(NODES.map((node) => linkMac(node.netns, NODE_BRIDGE)));
    // Each node bridge has a MAC of its own: were it the lowest of its ports', it would
    // change as pods come and go and the pods' ARP entries for their gateway would go stale.
    expect(await bridgeMacs()).toEqual(NODES.map((node) => node.bridgeMac));
    const started = Date.now();
    await kubectl(kc, [
      '-n',
      'production',
      'rollout',
      'restart',
      'deployment/checkout-frontend',
      'deployment/cart-service-v1',
    ]);
    for (const d of ['checkout-frontend', 'cart-service-v1']) {
      await kubectl(kc, ['-n', 'production', 'rollout', 'status', `deployment/${d}`, '--timeout=120s']);
    }
    const oldNames = new Set(before.map((p) => p.metadata.name));
    let after: LabPod[] = [];
    for (let i = 0; i < 60; i++) {
      after = (await pods(kc, ['-n', 'production'])).filter((p) =>
        ['checkout-frontend', 'cart-service-v1'].includes(p.metadata.labels.app ?? ''),
      );
      if (after.every((p) => !oldNames.has(p.metadata.name))) break;
      await sleep(500);
    }
    expect(after).toHaveLength(4);
    expect(after.some((p) => oldNames.has(p.metadata.name))).toBe(false);
    const namespaces = await netnsList();
    const kinds = async (dev: string, ns?: string) => (await qdiscs(dev, ns)).map((q) => q.kind);
    for (const pod of after) {
      const netns = `production.${pod.metadata.name}`;
      lab.seen(netns);
      expect(namespaces).toContain(netns);
      expect(pod.status.phase).toBe('Running');
      // clsact came with the link, so the flow tap attached to it without a qdisc change
      // (which would have dropped the new pod's first packets).
      expect(await kinds('eth0', netns)).toContain('clsact');
      expect(
        await kinds(
          pod.metadata.annotations['nightshift.dev/host-interface'] ?? '',
          nodeByName(pod.spec.nodeName ?? '')?.netns,
        ),
      ).toContain('clsact');
    }
    expect(await bridgeMacs()).toEqual(NODES.map((node) => node.bridgeMac));
    for (const pod of before) expect(namespaces).not.toContain(`production.${pod.metadata.name}`);
    await sleep(2500);
    const window = Math.ceil((Date.now() - started) / 1000) + 1;
    const summary = await probeSummary(window);
    expect(summary.requests).toBeGreaterThan(window * 15);
    expect({ failures: summary.failures, reasons: summary.failureReasons ?? {} }).toEqual({ failures: 0, reasons: {} });
    await lab.status();
  });

  test('killing an etcd member is seen by the others, and the API server keeps serving', async () => {
    const started = Date.now();
    const status = await lab.status();
    const victim = status.processes.find((p) => p.name === 'etcd-3');
    const [m1, m2, m3] = status.etcd;
    if (!victim || !m1 || !m2 || !m3) throw new Error('no etcd-3 in the lab status');
    const victimId = (await etcdLeader(m3.clientUrl)).memberId;
    process.kill(victim.pid, 'SIGKILL');
    try {
      await expect(fetch(`${m3.clientUrl}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
      for (const survivor of [m1, m2]) {
        expect(await etcdPeersSeenDown(survivor.clientUrl, 10_000)).toEqual([victimId]);
      }
      // The leader stays, or (if it was the victim) moves after an election timeout.
      const leader = await etcdAgreedLeader([m1.clientUrl, m2.clientUrl], 10_000, victimId);
      expect(leader).toBeDefined();
      await kubectl(status.kubeconfig, [
        'create',
        'configmap',
        'etcd-kill-check',
        '-n',
        'default',
        '--from-literal=seen=yes',
      ]);
      expect(
        await kubectl(status.kubeconfig, [
          'get',
          'configmap',
          'etcd-kill-check',
          '-n',
          'default',
          '-o',
          'jsonpath={.data.seen}',
        ]),
      ).toBe('yes');
      // Only the seconds since this test began (whole seconds, the current one excluded).
      await sleep(Math.max(0, started + 2000 - Date.now()));
      const after = await probeSummary(Math.max(1, Math.floor((Date.now() - started) / 1000) - 1));
      expect({ failures: after.failures, reasons: after.failureReasons ?? {} }).toEqual({ failures: 0, reasons: {} });
    } finally {
      const record = await restartLabProcess('etcd-3', lab.config.dataDir);
      lab.seen(undefined, record.pid);
    }
    expect(await etcdPeersSeenDown(m1.clientUrl, 10_000, 'up')).toEqual([]);
  });

  test('an eBPF drop fault on the cart pods sends the probe to 0 % and back after revert', async () => {
    // Through the CLI, the lab's control worker and its node agents: the real path.
    const env = {
      ...process.env,
      NIGHTSHIFT_DATA_DIR: lab.config.dataDir,
      TEMPORAL_ADDRESS: lab.config.temporal.address,
    };
    const cli = (args: string[]) => execFileP(process.execPath, [CLI, ...args], { env, timeout: 120_000 });
    const { stdout } = await cli([
      'fault',
      'inject',
      '--namespace',
      'production',
      '--selector',
      'app in (cart-service-v1, cart-service-v2)',
      '--direction',
      'ingress',
      '--protocol',
      'tcp',
      '--dst-ports',
      '80',
      '--percent',
      '100',
      '--duration',
      '2m',
      '--id',
      'lab-cart-drop',
      '--json',
    ]);
    expect(JSON.parse(stdout)).toEqual({ faultId: 'lab-cart-drop', started: true });
    await eventually('checkout to fail completely', async () =>
      (await probeSummary(3)).successRate === 0 ? true : undefined,
    );
    const listed = JSON.parse((await cli(['fault', 'list', '--json'])).stdout) as {
      faultId: string;
      verdict?: { outcome: string };
      undo: { interface: string }[];
    }[];
    const fault = listed.find((f) => f.faultId === 'lab-cart-drop');
    expect(fault?.verdict?.outcome).toBe('confirmed');
    // One attachment per cart pod, each on that pod's own port of its node's bridge.
    expect(fault?.undo.map((u) => u.interface).sort()).toEqual(
      (await pods((await lab.status()).kubeconfig, ['-n', 'production']))
        .filter((p) => /^cart-service-v[12]$/.test(p.metadata.labels.app ?? ''))
        .map((p) => p.metadata.annotations['nightshift.dev/host-interface'])
        .sort(),
    );
    await cli(['fault', 'revert', 'lab-cart-drop', '--wait']);
    await eventually('checkout to recover', async () => ((await probeSummary(3)).successRate === 1 ? true : undefined));
  });

  test('lab up again is a no-op that says the lab is up', async () => {
    const before = await lab.status();
    const again = await labUp({ config: lab.config });
    expect(again.alreadyUp).toBe(true);
    const after = await lab.status();
    expect(after.processes.map((p) => p.pid)).toEqual(before.processes.map((p) => p.pid));
  });

  test('lab status reports processes, nodes, pods and endpoints', async () => {
    const status = await lab.status();
    expect(status.up).toBe(true);
    expect(status.healthy).toBe(true);
    expect(status.kubeconfig).toMatch(/\/lab\/kubeconfig$/);
    expect(status.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'etcd-1',
        'etcd-2',
        'etcd-3',
        'kube-apiserver',
        'kube-controller-manager',
        'coredns',
        'node-simulator',
        'policy-agent',
        'lab-gateway',
        'probe',
        'prometheus',
        'alertmanager',
        'temporal',
        // nightshift's worker, gateway and agents are the chart's pods: what the host runs for them.
        'host-relay',
        'slack-standin',
        'gateway-ingress',
      ]),
    );
    expect(status.chart).toBe(true);
    expect(status.endpoints.prometheus).toBe('http://127.0.0.1:9090');
    expect(status.endpoints.policy).toBe('http://127.0.0.1:9474');
    expect(status.nodes.map((n) => n.netns)).toEqual([
      'nightshift-lab-node-1',
      'nightshift-lab-node-2',
      'nightshift-lab-node-3',
    ]);
    const shopPods = status.pods.filter((p) => ['production', 'finance'].includes(p.namespace));
    expect(shopPods).toHaveLength(8);
    // And nightshift's: the worker and gateway, and an agent on each node (in the node's namespace).
    expect(status.pods.filter((p) => p.namespace === 'nightshift')).toHaveLength(2);
    expect(
      status.pods
        .filter((p) => p.namespace === 'nightshift-agent')
        .map((p) => p.netns)
        .sort(),
    ).toEqual(['nightshift-lab-node-1', 'nightshift-lab-node-2', 'nightshift-lab-node-3']);
    expect(status.endpoints.etcd.map((e) => e.metrics)).toHaveLength(3);
    const metrics = await fetch(status.endpoints.coredns.metrics).then((r) => r.text());
    expect(metrics).toContain('coredns_dns_requests_total');
    const etcdMetrics = await fetch(status.endpoints.etcd[0]?.metrics ?? '').then((r) => r.text());
    expect(etcdMetrics).toContain('etcd_disk_wal_fsync_duration_seconds');
  });
});
