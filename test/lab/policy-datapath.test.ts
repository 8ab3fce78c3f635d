// The policy datapath against the real kernel: throw-away pods (nspol-*)
// on a bridge, the program on their host-side veths, maps programmed from
// compiled policies, real TCP and UDP exchanges. Needs root, clang, cc,
// libbpf-dev and bpftool; skips visibly only without root.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { buildPacket, run, runJson } from '../../bpf/index.ts';
import { FlowStore, identityOf, type EndpointSource } from '../../lab/hubble/index.ts';
import {
  compile,
  dropReader,
  feedDrops,
  loadDatapath,
  POLICY_DROP_MARK,
  tcpFlags,
  type ClusterView,
  type Datapath,
  type DropEvent,
} from '../../lab/policy/index.ts';
import { createPodNet, echoServer, exchange, type PodNet } from './helpers/policy-net.ts';
import { z } from 'zod';

const root = process.getuid?.() === 0;
const suite = root ? describe : describe.skip;
const SKIP = root ? '' : ' (skipped: needs root for network namespaces and BPF)';
if (!root) console.warn('SKIPPED policy datapath tests: they need root for network namespaces and BPF');

const seed: unknown = parse(readFileSync(new URL('../../lab/scenarios/policy-3am.yaml', import.meta.url), 'utf8'));
const corrected = {
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'secure-payment-gateway', namespace: 'finance' },
  spec: {
    endpointSelector: { matchLabels: { app: 'payment-processor' } },
    ingress: [
      {
        fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production', app: 'checkout-frontend' } }],
        toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }],
      },
    ],
    egress: [
      {
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
      },
      { toFQDNs: [{ matchName: 'api.stripe.com' }] },
    ],
  },
};
const denyFrontend = {
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'deny-frontend', namespace: 'finance' },
  spec: {
    endpointSelector: { matchLabels: { app: 'payment-processor' } },
    ingressDeny: [{ fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production' } }] }],
  },
};

const FRONTEND_ID = identityOf(['k8s:app=checkout-frontend', 'k8s:io.kubernetes.pod.namespace=production']);
const PAYMENT_ID = identityOf(['k8s:app=payment-processor', 'k8s:io.kubernetes.pod.namespace=finance']);
const DNS_ID = identityOf(['k8s:k8s-app=kube-dns', 'k8s:io.kubernetes.pod.namespace=kube-system']);

suite(`policy datapath on real veths${SKIP}`, () => {
  let net: PodNet;
  let datapath: Datapath;
  let cluster: ClusterView;
  let stopWatch: () => void;
  const servers: ChildProcess[] = [];
  const events: DropEvent[] = [];
  const buildDir = mkdtempSync(join(tmpdir(), 'nspol-build-'));
  const pins = `/sys/fs/bpf/nspol-${process.pid}`;

  const program = async (policies: unknown[]) => {
    await datapath.program(compile(policies, cluster));
    events.length = 0;
  };
  const waitFor = async (pred: (e: DropEvent) => boolean) => {
    for (let i = 0; i < 50 && !events.some(pred); i++) await sleep(50);
    return events.find(pred);
  };
  const ifindex = async (ifname: string) => {
    const [link] = await runJson(z.object({ ifindex: z.number() }), 'ip', ['-j', 'link', 'show', 'dev', ifname], {
      netns: net.node,
    });
    return link?.ifindex;
  };

  beforeAll(async () => {
    net = await createPodNet(['front', 'pay', 'dns']);
    const { front, pay, dns } = net.pods;
    if (!front || !pay || !dns) throw new Error('pods missing');
    cluster = {
      pods: [
        { namespace: 'production', name: 'front', labels: { app: 'checkout-frontend' }, ips: [front.ip] },
        { namespace: 'finance', name: 'pay', labels: { app: 'payment-processor' }, ips: [pay.ip] },
        { namespace: 'kube-system', name: 'dns', labels: { 'k8s-app': 'kube-dns' }, ips: [dns.ip] },
      ],
      hostIps: ['10.251.0.254'],
      dns: { 'api.stripe.com': ['203.0.113.5'] },
    };
    servers.push(await echoServer(pay, [8080, 9090], []), await echoServer(dns, [53], [53, '54:300', '55:2000']));
    // UDP connections live 1 s here (Cilium: 60 s), so a test can outlive one.
    datapath = await loadDatapath({ buildDir, pins, ctLifetimes: { otherMs: 1000 } });
    for (const pod of [front, pay, dns]) await datapath.attach(pod.hostIf, net.node);
    stopWatch = await datapath.watch((e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    stopWatch?.();
    for (const s of servers) s.kill('SIGKILL');
    await datapath?.stop();
    await net?.destroy();
    rmSync(buildDir, { recursive: true, force: true });
  }, 60_000);

  test('with no policy, everything passes', async () => {
    await program([]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    expect(await exchange(front, 'tcp', pay.ip, 8080)).toEqual({ ok: true });
    expect(await exchange(pay, 'udp', '10.251.0.3', 53)).toEqual({ ok: true });
  }, 30_000);

  test('the seed policy drops frontend -> payment TCP 8080 at the payment ingress, POLICY_DENIED with both identities', async () => {
    await program([seed]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    expect(await exchange(front, 'tcp', pay.ip, 8080, 1000)).toEqual({ ok: false, error: 'timeout' });
    const drop = await waitFor((e) => e.dport === 8080);
    expect(drop).toMatchObject({
      reason: 133,
      egress: false,
      src: front.ip,
      dst: pay.ip,
      proto: 6,
      srcIdentity: FRONTEND_ID,
      dstIdentity: PAYMENT_ID,
      ifindex: await ifindex(pay.hostIf),
    });
    expect(tcpFlags(drop?.tcpFlags ?? 0)).toEqual({ SYN: true });
  }, 30_000);

  test('a drop reaches a Hubble flow store as a DROPPED flow naming both pods', async () => {
    await program([seed]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    const compiled = compile([seed], cluster);
    const endpoints: EndpointSource = {
      byIp: (ip) => {
        const ep = compiled.endpoints.find((e) => e.ips.includes(ip));
        const id = ep && compiled.identities.get(ep.identity);
        return ep && id
          ? { namespace: ep.namespace, pod: ep.pod, labels: id.labels, identity: id.id, node: 'nspol-node' }
          : { labels: ['reserved:world'], identity: 2 };
      },
      podNamespaces: () => [],
      nodeOfNetns: () => undefined,
      refresh: async () => undefined,
    };
    const store = new FlowStore();
    // As the stand-in would: a reader of the pinned ring buffer, not the process that loaded the datapath.
    stopWatch();
    const stop = await feedDrops(dropReader({ buildDir, pins }), store, () => ({
      endpoints,
      identities: compiled.identities,
    }));
    try {
      expect((await exchange(front, 'tcp', pay.ip, 8080, 1000)).ok).toBe(false);
      for (let i = 0; i < 50 && store.size === 0; i++) await sleep(50);
    } finally {
      stop();
      stopWatch = await datapath.watch((e) => events.push(e));
    }
    const [item] = store.window();
    expect(store.size).toBeGreaterThan(0);
    expect(item).toMatchObject({
      node_name: 'nspol-node',
      flow: {
        verdict: 'DROPPED',
        drop_reason_desc: 'POLICY_DENIED',
        traffic_direction: 'INGRESS',
        source: { namespace: 'production', pod_name: 'front', identity: FRONTEND_ID },
        destination: { namespace: 'finance', pod_name: 'pay', identity: PAYMENT_ID },
        l4: { TCP: { destination_port: 8080, flags: { SYN: true } } },
      },
    });
  }, 30_000);

  test('the seed policy drops payment -> DNS (UDP and TCP 53) at the payment egress', async () => {
    await program([seed]);
    const { pay, dns } = net.pods;
    if (!pay || !dns) throw new Error('pods missing');
    expect((await exchange(pay, 'udp', dns.ip, 53, 1000)).ok).toBe(false);
    expect(await waitFor((e) => e.proto === 17 && e.dport === 53)).toMatchObject({
      reason: 133,
      egress: true,
      srcIdentity: PAYMENT_ID,
      dstIdentity: DNS_ID,
      ifindex: await ifindex(pay.hostIf),
    });
    expect((await exchange(pay, 'tcp', dns.ip, 53, 1000)).ok).toBe(false);
    expect(await waitFor((e) => e.proto === 6 && e.dport === 53)).toMatchObject({ reason: 133, egress: true });
  }, 30_000);

  test('the corrected policy lets the frontend in and its replies out through conntrack (payment egress is enforced)', async () => {
    await program([corrected]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    const before = await datapath.stats();
    expect(await exchange(front, 'tcp', pay.ip, 8080)).toEqual({ ok: true });
    const after = await datapath.stats();
    // The answer left an endpoint whose egress allows only DNS and Stripe: it passed as a reply.
    expect(after.reply).toBeGreaterThan(before.reply);
    expect(await exchange(front, 'tcp', pay.ip, 9090, 1000)).toEqual({ ok: false, error: 'timeout' });
    expect(await waitFor((e) => e.dport === 9090)).toMatchObject({ reason: 133, egress: false });
  }, 30_000);

  test('the corrected policy allows DNS over UDP and TCP, the UDP answer coming back through conntrack', async () => {
    await program([corrected]);
    const { pay, dns } = net.pods;
    if (!pay || !dns) throw new Error('pods missing');
    expect(await exchange(pay, 'udp', dns.ip, 53)).toEqual({ ok: true });
    expect(await exchange(pay, 'tcp', dns.ip, 53)).toEqual({ ok: true });
    expect(events).toEqual([]);
  }, 30_000);

  test('a UDP answer after the connection expired is policed as new and dropped; one in time passes', async () => {
    const slowDns = {
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'slow-dns', namespace: 'finance' },
      spec: {
        endpointSelector: { matchLabels: { app: 'payment-processor' } },
        egress: [
          {
            toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system' } }],
            toPorts: [
              {
                ports: [
                  { port: '54', protocol: 'UDP' },
                  { port: '55', protocol: 'UDP' },
                ],
              },
            ],
          },
        ],
      },
    };
    await program([corrected, slowDns]);
    const { pay, dns } = net.pods;
    if (!pay || !dns) throw new Error('pods missing');
    const before = await datapath.stats();
    expect(await exchange(pay, 'udp', dns.ip, 54, 3000)).toEqual({ ok: true });
    expect(await exchange(pay, 'udp', dns.ip, 55, 3000)).toEqual({ ok: false, error: 'timeout' });
    expect(await waitFor((e) => e.sport === 55)).toMatchObject({
      reason: 133,
      egress: false,
      src: dns.ip,
      dst: pay.ip,
      srcIdentity: DNS_ID,
      dstIdentity: PAYMENT_ID,
    });
    expect((await datapath.stats()).ctExpired).toBeGreaterThan(before.ctExpired);
  }, 30_000);

  test('an unsolicited packet matching an old connection in the wrong direction is still policed', async () => {
    await program([corrected]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    // payment -> frontend is a new connection from payment's side: its egress does not allow it.
    expect((await exchange(pay, 'tcp', front.ip, 8080, 1000)).ok).toBe(false);
    expect(await waitFor((e) => e.src === pay.ip && e.dst === front.ip)).toMatchObject({ reason: 133, egress: true });
  }, 30_000);

  test('a deny rule wins over the allow and drops with POLICY_DENY (181)', async () => {
    await program([corrected, denyFrontend]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    expect((await exchange(front, 'tcp', pay.ip, 8080, 1000)).ok).toBe(false);
    expect(await waitFor((e) => e.dport === 8080)).toMatchObject({
      reason: 181,
      srcIdentity: FRONTEND_ID,
      dstIdentity: PAYMENT_ID,
    });
  }, 30_000);

  test('a dropped packet leaves POLICY_DROP_MARK | reason on the skb (BPF_PROG_TEST_RUN), so kfree_skb tracers can tell', async () => {
    await program([seed]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    const packet = buildPacket({ src: front.ip, dst: pay.ip, protocol: 'tcp', srcPort: 41000, dstPort: 8080 });
    const file = (name: string) => join(buildDir, name);
    writeFileSync(file('pkt'), packet);
    writeFileSync(file('ctx'), Buffer.alloc(192)); // a zeroed struct __sk_buff
    const prog = join(pins, 'progs', 'to_container');
    const { stdout } = await run('bpftool', [
      ...['prog', 'run', 'pinned', prog, 'data_in', file('pkt'), 'ctx_in', file('ctx'), 'ctx_out', file('ctx-out')],
    ]);
    expect(stdout).toMatch(/Return value: 2\b/);
    expect(readFileSync(file('ctx-out')).readUInt32LE(8)).toBe((POLICY_DROP_MARK | 133) >>> 0); // __sk_buff.mark
  }, 30_000);

  test('programming back to no policy lets everything through again (stale entries deleted)', async () => {
    await program([]);
    const { front, pay } = net.pods;
    if (!front || !pay) throw new Error('pods missing');
    expect(await exchange(front, 'tcp', pay.ip, 9090)).toEqual({ ok: true });
  }, 30_000);

  test('a second datapath on the same pins is refused, and attaching to a missing interface names it', async () => {
    await expect(loadDatapath({ buildDir, pins })).rejects.toThrow(`${pins} exists: another policy datapath is loaded`);
    await expect(datapath.attach('nope0', net.node)).rejects.toThrow(/nope0 in nspol-.*-node/);
  }, 30_000);

  test('stop removes every filter, the clsact qdiscs it added and its pins', async () => {
    stopWatch();
    await datapath.stop();
    for (const pod of Object.values(net.pods)) {
      for (const hook of ['ingress', 'egress']) {
        const { stdout } = await run('tc', ['filter', 'show', 'dev', pod.hostIf, hook], { netns: net.node }).catch(
          () => ({ stdout: '' }),
        );
        expect(stdout.trim()).toBe('');
      }
      const { stdout } = await run('tc', ['qdisc', 'show', 'dev', pod.hostIf], { netns: net.node });
      expect(stdout).not.toContain('clsact');
    }
    expect(existsSync(pins)).toBe(false);
  }, 30_000);
});
