// The node agent plans a pod's fault on the pod's own host-side device, on
// the three layouts real CNIs build, made here in throw-away network
// namespaces: Cilium's default (the pod CIDR routed via cilium_host, one lxc
// veth per pod, no route per pod), Calico's (a cali veth and a /32 route per
// pod) and a bridge (kubenet's cbr0, flannel's cni0). A device other pods'
// traffic crosses (cilium_host, a bridge, a tunnel, the node's uplink) is
// refused. A pod without the annotation nightshift.dev/netns is found by its
// IP among the namespaces the node's processes are in (a sleeping process
// stands in for a pod's). Planning changes nothing in the kernel, so no eBPF
// objects are needed; building the namespaces needs root.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { createAgentActivities } from '../../activities/index.ts';
import { planAttachment } from '../../activities/faults/index.ts';
import { NetnsLocator } from '../../activities/vantage/index.ts';
import type { Capabilities } from '../../bpf/index.ts';
import type { Direction, InjectRequest, PodRef } from '../../model/index.ts';
import { run, runJson } from '../../bpf/index.ts';
import { leftoverNamespaces, NETNS_PREFIX, processIn, type Resident } from './helpers/netns.ts';

const root = process.getuid?.() === 0;
const suite = root ? describe : describe.skip;
const SKIP = root ? '' : ' (skipped: needs root to build throw-away network namespaces)';
if (!root) console.warn(`SKIPPED pod device tests: they need root to build throw-away network namespaces`);

const id = randomBytes(3).toString('hex');
const NODE_NS = `${NETNS_PREFIX}${id}-node`;
const UPLINK = 'eth0';

/** Every namespace this file made, deleted in afterAll whatever happened. */
const made: string[] = [];

async function ip(netns: string, ...args: string[]): Promise<void> {
  await run('ip', ['-n', netns, ...args]);
}

async function addNetns(suffix: string): Promise<string> {
  const netns = `${NETNS_PREFIX}${id}-${suffix}`;
  made.push(netns);
  await run('ip', ['netns', 'add', netns]);
  await ip(netns, 'link', 'set', 'lo', 'up');
  return netns;
}

type Pod = PodRef & { netns: string };

/** A pod: its own namespace with eth0 holding `cidr`, the other end of the veth (`hostDev`) up in the node's. */
async function addPod(name: string, hostDev: string, cidr: string, routes: string[][]): Promise<Pod> {
  const netns = await addNetns(name);
  await ip(NODE_NS, 'link', 'add', hostDev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  await ip(NODE_NS, 'link', 'set', hostDev, 'up');
  await ip(netns, 'addr', 'add', cidr, 'dev', 'eth0');
  await ip(netns, 'link', 'set', 'eth0', 'up');
  for (const route of routes) await ip(netns, 'route', 'add', ...route);
  return { namespace: 'production', name, ip: cidr.split('/')[0] ?? '', netns };
}

const withoutNetns = ({ netns: _netns, ...pod }: PodRef): PodRef => pod;

/** Processes living in the test's namespaces, as a pod's do: what the locator finds a namespace by. */
const residents: Resident[] = [];
const pidsIn = new Map<string, number[]>();

async function liveIn(netns: string): Promise<void> {
  const resident = await processIn(netns);
  residents.push(resident);
  pidsIn.set(netns, [...(pidsIn.get(netns) ?? []), resident.pid]);
}

const request = (pod: PodRef, direction: Direction = 'ingress'): InjectRequest => ({
  faultId: `pod-device-${id}`,
  key: 't0',
  target: { node: 'node-1', pod },
  kind: 'drop',
  match: { direction, protocol: 'any', peers: [] },
  magnitude: { dropPpm: 1_000_000 },
  deadline: new Date(Date.now() + 60_000).toISOString(),
});

const delayRequest = (pod: PodRef): InjectRequest => ({
  ...request(pod, 'egress'),
  kind: 'delay',
  magnitude: { delayMs: 50 },
});

/** Planned by an agent that does not look for namespaces: the pod's own, or none. */
function plan(pod: PodRef, direction: Direction = 'ingress') {
  return planAttachment(request(pod, direction), {
    node: 'node-1',
    nodeNetns: NODE_NS,
    attachMode: 'tcx',
    maxTtlMs: 60_000,
    protectedPeers: [],
  });
}

/** A kernel that can do everything: a dry run attaches nothing, so only the plan is asked of it. */
const CAPABLE: Capabilities = {
  kernel: 'test',
  btf: true,
  bpffs: true,
  load: true,
  tcx: true,
  clsact: true,
  fq: true,
  attachMode: 'tcx',
  problems: [],
};

/** The node agent as it registers its activities, sharing `locator` between faults and measurements. */
function agent(locator: NetnsLocator) {
  return createAgentActivities({ node: 'node-1', nodeNetns: NODE_NS, locator, probe: async () => CAPABLE });
}

const dryRun = async (locator: NetnsLocator, req: InjectRequest) =>
  (await agent(locator).inject({ ...req, dryRun: true })).plan;

/** Namespaces bound under /run/netns are entered by that path; others only through a process in them. */
const bound = new NetnsLocator();
const unbound = new NetnsLocator({ runNetns: `/nonexistent-${id}` });

const deviceOf = async (pod: PodRef) => (await plan(pod)).plan.interface;

const routeSchema = z.object({ dev: z.string() });
const routedVia = async (podIp: string) =>
  (await runJson(routeSchema, 'ip', ['-j', 'route', 'get', podIp], { netns: NODE_NS }))[0]?.dev;

suite(`a pod's own host-side device on real CNI layouts${SKIP}`, () => {
  const cilium: Pod[] = [];
  const calico: Pod[] = [];
  const bridged: Pod[] = [];

  beforeAll(async () => {
    await addNetns('node');
    // The node's uplink: a veth like the lab's, holding the default route.
    await ip(NODE_NS, 'link', 'add', UPLINK, 'type', 'veth', 'peer', 'name', 'uplink-peer');
    for (const dev of [UPLINK, 'uplink-peer']) await ip(NODE_NS, 'link', 'set', dev, 'up');
    await ip(NODE_NS, 'addr', 'add', '192.168.212.2/24', 'dev', UPLINK);
    await ip(NODE_NS, 'route', 'add', 'default', 'via', '192.168.212.1', 'dev', UPLINK);

    // Cilium's default: cilium_host holds the router IP and the whole pod CIDR routes through it.
    await ip(NODE_NS, 'link', 'add', 'cilium_host', 'type', 'veth', 'peer', 'name', 'cilium_net');
    for (const dev of ['cilium_host', 'cilium_net']) await ip(NODE_NS, 'link', 'set', dev, 'up');
    await ip(NODE_NS, 'addr', 'add', '10.210.0.1/32', 'dev', 'cilium_host');
    await ip(NODE_NS, 'route', 'add', '10.210.0.1', 'dev', 'cilium_host', 'scope', 'link');
    await ip(NODE_NS, 'route', 'add', '10.210.0.0/24', 'via', '10.210.0.1', 'dev', 'cilium_host', 'src', '10.210.0.1');
    const viaRouter = [
      ['10.210.0.1', 'dev', 'eth0', 'scope', 'link'],
      ['default', 'via', '10.210.0.1', 'dev', 'eth0'],
    ];
    cilium.push(await addPod('cilium-a', 'lxc0a1b2c3d4e5f', '10.210.0.11/32', viaRouter));
    cilium.push(await addPod('cilium-b', 'lxc5f4e3d2c1b0a', '10.210.0.12/32', viaRouter));

    // Calico: a cali veth and a /32 route per pod; the pod's gateway is 169.254.1.1, on link.
    const viaCalico = [['default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink']];
    for (const [name, dev, addr] of [
      ['calico-a', 'cali0a1b2c3d4e5', '10.211.3.5'],
      ['calico-b', 'cali5e4d3c2b1a0', '10.211.3.6'],
    ] as const) {
      calico.push(await addPod(name, dev, `${addr}/32`, viaCalico));
      await ip(NODE_NS, 'route', 'add', `${addr}/32`, 'dev', dev, 'scope', 'link');
    }

    // A bridge (kubenet's cbr0): the pods' veths are its ports, the bridge holds the gateway.
    await ip(NODE_NS, 'link', 'add', 'cbr0', 'type', 'bridge');
    await ip(NODE_NS, 'addr', 'add', '10.212.0.1/24', 'dev', 'cbr0');
    await ip(NODE_NS, 'link', 'set', 'cbr0', 'up');
    const viaBridge = [['default', 'via', '10.212.0.1', 'dev', 'eth0']];
    for (const [name, dev, addr] of [
      ['bridge-a', 'veth0a1b2c3d', '10.212.0.11'],
      ['bridge-b', 'veth1a2b3c4d', '10.212.0.12'],
    ] as const) {
      bridged.push(await addPod(name, dev, `${addr}/24`, viaBridge));
      await ip(NODE_NS, 'link', 'set', dev, 'master', 'cbr0');
    }

    // Flannel's overlay: another node's pod CIDR through a vxlan device.
    await ip(NODE_NS, 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning');
    await ip(NODE_NS, 'link', 'set', 'flannel.1', 'up');
    await ip(NODE_NS, 'addr', 'add', '10.213.0.0/32', 'dev', 'flannel.1');
    await ip(NODE_NS, 'route', 'add', '10.213.1.0/24', 'via', '10.213.1.0', 'dev', 'flannel.1', 'onlink');
  });

  afterAll(async () => {
    for (const resident of residents) await resident.stop();
    for (const netns of made.reverse()) {
      if (existsSync(`/run/netns/${netns}`)) await run('ip', ['netns', 'del', netns]);
    }
    expect((await leftoverNamespaces()).filter((n) => n.includes(id))).toEqual([]);
  });

  test("Cilium's default: the pod's lxc device, though its IP routes via cilium_host", async () => {
    for (const pod of cilium) expect(await routedVia(pod.ip)).toBe('cilium_host');
    const [a, b] = cilium as [Pod, Pod];
    const planned = await plan(a);
    expect(planned.plan).toMatchObject({ interface: 'lxc0a1b2c3d4e5f', netns: NODE_NS, hook: 'egress' });
    expect(planned.point).toMatchObject({ ifname: 'lxc0a1b2c3d4e5f', netns: NODE_NS, hook: 'egress' });
    expect(await deviceOf(b)).toBe('lxc5f4e3d2c1b0a');
    expect((await plan(b, 'egress')).plan).toMatchObject({ interface: 'lxc5f4e3d2c1b0a', hook: 'ingress' });
  });

  test("Cilium's default: a pod whose namespace cannot be found is refused, not put on cilium_host", async () => {
    // No process lives in cilium-b's namespace: nothing on the node holds its IP.
    const b = withoutNetns(cilium[1] as Pod);
    await expect(dryRun(bound, request(b))).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(
        /cilium-b: 10\.210\.0\.12 routes via cilium_host, Cilium's host device.*every pod.*nothing attached .*no annotation nightshift\.dev\/netns, and no network namespace on this node holds pod production\/cilium-b/,
      ),
    });
    await expect(plan(withoutNetns(cilium[0] as Pod))).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(
        /cilium-a: 10\.210\.0\.11 routes via cilium_host, Cilium's host device.*every pod.*this agent does not look for it/,
      ),
    });
    await expect(dryRun(bound, delayRequest(b))).rejects.toMatchObject({
      type: 'Unsupported',
      message: expect.stringMatching(
        /delaying what pod production\/cilium-b sends needs its network namespace: no annotation/,
      ),
    });
  });

  test("Cilium's default: without the annotation, the agent finds the pod's namespace by its IP and its own lxc device", async () => {
    const a = cilium[0] as Pod;
    await liveIn(a.netns);
    const planned = await dryRun(bound, request(withoutNetns(a)));
    expect(planned).toMatchObject({ interface: 'lxc0a1b2c3d4e5f', netns: NODE_NS, hook: 'egress' });
    expect(planned.pod).toEqual({ ...a, netns: `/run/netns/${a.netns}` });
    // Delaying what it sends: a departure time on its own eth0, inside the namespace found.
    expect(await dryRun(bound, delayRequest(withoutNetns(a)))).toMatchObject({
      interface: 'eth0',
      netns: `/run/netns/${a.netns}`,
      hook: 'egress',
    });
  });

  test("Cilium's default: a namespace bound nowhere is found, and entered, through its process", async () => {
    const a = cilium[0] as Pod;
    await liveIn(a.netns);
    const first = (await unbound.locate(a.ip)).found.path;
    expect((pidsIn.get(a.netns) ?? []).map((pid) => `/proc/${pid}/ns/net`)).toContain(first);
    expect(await dryRun(unbound, request(withoutNetns(a)))).toMatchObject({
      interface: 'lxc0a1b2c3d4e5f',
      netns: NODE_NS,
      pod: { netns: first },
    });
    expect(await dryRun(unbound, delayRequest(withoutNetns(a)))).toMatchObject({
      interface: 'eth0',
      netns: first,
      hook: 'egress',
    });
  });

  test("Calico: the pod's cali device, with its namespace or from its /32 route alone", async () => {
    expect(await Promise.all(calico.map(deviceOf))).toEqual(['cali0a1b2c3d4e5', 'cali5e4d3c2b1a0']);
    expect(await Promise.all(calico.map((pod) => deviceOf(withoutNetns(pod))))).toEqual([
      'cali0a1b2c3d4e5',
      'cali5e4d3c2b1a0',
    ]);
  });

  test("a bridge: the pod's own port, never the bridge", async () => {
    for (const pod of bridged) expect(await routedVia(pod.ip)).toBe('cbr0');
    expect(await Promise.all(bridged.map(deviceOf))).toEqual(['veth0a1b2c3d', 'veth1a2b3c4d']);
  });

  test("a bridge: without the pod's namespace, its port from the forwarding table once it has spoken", async () => {
    const pod = bridged[1] as Pod;
    await expect(plan(withoutNetns(pod))).rejects.toMatchObject({
      type: 'NotFound',
      message: expect.stringMatching(/bridge cbr0 and its port on the bridge could not be found/),
    });
    // One datagram to the gateway: its ARP request teaches the bridge the pod's MAC.
    const send = "require('node:dgram').createSocket('udp4').send('x', 9, '10.212.0.1', () => process.exit(0))";
    await run('nsenter', [`--net=/run/netns/${pod.netns}`, '--', process.execPath, '-e', send]);
    expect(await deviceOf(withoutNetns(pod))).toBe('veth1a2b3c4d');
  });

  test("a pod elsewhere, without its namespace, is refused on the node's uplink and on an overlay tunnel", async () => {
    const far = { namespace: 'production', name: 'far-0', ip: '10.99.0.7' };
    await expect(plan(far)).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(/far-0: 10\.99\.0\.7 routes via eth0, the node's uplink .*nothing attached/),
    });
    await expect(plan({ ...far, ip: '10.213.1.9' })).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(/routes via flannel\.1, a vxlan tunnel.*nothing attached/),
    });
  });

  test("a pod whose IP is the node's own is refused as hostNetwork, as before", async () => {
    const exporter = { namespace: 'kube-system', name: 'node-exporter-0', ip: '192.168.212.2' };
    await expect(plan(exporter)).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(/an address of the node.*hostNetwork/),
    });
    // Found by its IP, its namespace is the node's own: the same refusal, before any device is looked at.
    await liveIn(NODE_NS);
    await expect(dryRun(bound, request(exporter))).rejects.toMatchObject({
      type: 'Refused',
      message: expect.stringMatching(
        /node-exporter-0 has IP 192\.168\.212\.2 in the node's own network namespace.*hostNetwork/,
      ),
    });
  });
});
