// The lab enforces network policy the way Cilium does (issue 13): it starts
// with the shop's working payment policy and checkout is green under it;
// the 3 AM change (the seed's policy) makes checkout -> payment vanish, and
// the Hubble stand-in reports the drops as Hubble does (DROPPED,
// POLICY_DENIED 133, the workloads on both sides), read over its gRPC API;
// putting the working policy back brings checkout back. The working
// policy's HTTP rule (POST /v1/charge) is enforced the way Cilium's proxy
// answers: any other request from the frontend gets 403 Access denied from
// payment's side before the application sees it, and the stand-in shows
// it as a DROPPED L7 flow. useLab checks that `lab down` leaves no
// namespace, link, pin or process (the proxies included).
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createHubbleClient, type FlowRecord } from '../../activities/hubble/index.ts';
import {
  applyToLab,
  HUBBLE_RELAY_ADDRESS,
  LAB_POLICY,
  POLICY_3AM,
  policy,
  probeSummary,
  type PodStatus,
} from '../../lab/index.ts';
import { requests } from './helpers/l7-net.ts';
import { until } from './helpers/lab.ts';
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);

/** The probe over the last `seconds` complete seconds, once `from` (ms) is that far behind. */
async function probeSince(from: number, seconds: number) {
  await sleep(Math.max(0, from + (seconds + 1) * 1000 - Date.now()));
  return probeSummary(seconds);
}

interface AgentStatus {
  endpoints: { pod: string; enforce: { ingress: boolean; egress: boolean } }[];
  attached: string[];
  refused: string[];
  warnings: string[];
  stats?: { forwarded: number; dropped: number };
  l7?: { pod: string; netns: string; pid?: number; ports: number[] }[];
  l7Errors?: Record<string, string>;
}
const agentStatus = async (): Promise<AgentStatus> =>
  (await (await fetch(`${policy.POLICY_AGENT_URL}/status`)).json()) as AgentStatus;

/** The prefs of the tc filters on a pod's host-side veth, in its node's namespace, by hook. */
async function filterPrefs(pod: PodStatus): Promise<Record<string, number[]>> {
  const prefs: Record<string, number[]> = {};
  for (const hook of ['ingress', 'egress']) {
    const { stdout } = await exec('tc', ['-n', pod.nodeNetns, '-j', 'filter', 'show', 'dev', pod.hostInterface, hook]);
    const found = (JSON.parse(stdout) as { pref?: number }[]).flatMap((f) => (f.pref ? [f.pref] : []));
    prefs[hook] = [...new Set(found)];
  }
  return prefs;
}

/** payment's own count of requests it had no route for (its admin port, as Prometheus reads it). */
async function unmatched(payment: PodStatus): Promise<number> {
  const text = await (await fetch(`http://${payment.ip}:9901/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_requests_total{') && l.includes('route="unmatched"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const pick = (pods: PodStatus[], prefix: string) => {
  const found = pods.find((p) => p.name.startsWith(prefix));
  if (!found) throw new Error(`no ${prefix} pod`);
  return found;
};

describe('network policy in the lab datapath', () => {
  const lab = useLab();
  const hubble = createHubbleClient(HUBBLE_RELAY_ADDRESS);
  afterAll(() => hubble.close());
  const dropped = async (since: Date) =>
    (
      await hubble.getFlows(
        { since, whitelist: [{ verdict: ['DROPPED'] }] },
        { deadline: Date.now() + 5000, maxFlows: 5000 },
      )
    ).records;

  test('the lab starts with the working payment policy enforced on every pod, and checkout is green', async () => {
    const status = await lab.status();
    const agent = await agentStatus();
    expect(agent.refused).toEqual([]);
    expect(agent.warnings).toEqual([]);
    // Every pod's host-side veth carries the program, both directions (pref 49300); hostNetwork pods (the
    // chart's agents) have none.
    const veths = status.pods.filter((p) => p.hostInterface);
    expect(veths.length).toBe(status.pods.length - 3);
    expect(agent.attached.sort()).toEqual(veths.map((p) => `${p.nodeNetns}|${p.hostInterface}`).sort());
    for (const pod of veths) expect(await filterPrefs(pod)).toEqual({ ingress: [49300], egress: [49300] });
    // Only payment-processor is selected by the shop's policy, and nightshift's gateway by its chart's
    // NetworkPolicy: the other pods stay default-allow.
    const enforced = agent.endpoints.filter((e) => e.enforce.ingress || e.enforce.egress).map((e) => e.pod);
    expect(enforced.filter((p) => p.startsWith('finance/payment-processor-')).length).toBe(2);
    expect(enforced.filter((p) => !p.startsWith('finance/payment-processor-'))).toEqual([
      expect.stringMatching(/^nightshift\/nightshift-gateway-/),
    ]);
    const green = await probeSince(Date.now(), 5);
    expect({ successRate: green.successRate, reasons: green.failureReasons }).toMatchObject({ successRate: 1 });
    expect(green.requests).toBeGreaterThan(50);
    expect((await agentStatus()).stats?.forwarded).toBeGreaterThan(0);
    // Nothing dropped by policy while the working one holds.
    expect(await dropped(new Date(Date.now() - 10_000))).toEqual([]);
  });

  test("the HTTP rule is enforced as Cilium's proxy answers: GET / from the frontend gets 403 before payment sees it", async () => {
    const status = await lab.status();
    const frontend = pick(status.pods, 'checkout-frontend-');
    const payment = pick(status.pods, 'payment-processor-');
    const agent = await agentStatus();
    expect(agent.l7Errors).toEqual({});
    // A proxy in each payment pod, for port 8080, with its table; none anywhere else.
    const payments = status.pods.filter((p) => p.name.startsWith('payment-processor-'));
    expect((agent.l7 ?? []).map((p) => [p.netns, p.ports]).sort()).toEqual(
      payments.map((p) => [p.netns, [8080]]).sort(),
    );
    for (const p of status.pods) expect(await policy.hasNft(p.netns)).toBe(p.name.startsWith('payment-processor-'));

    const since = new Date();
    const before = await unmatched(payment);
    const [denied] = await requests(frontend.netns, payment.ip, 8080, [{ method: 'GET', path: '/' }]);
    expect(denied).toMatchObject({ status: 403, body: 'Access denied\r\n' });
    // The application never saw it (without the proxy it answers 404 and counts it as unmatched).
    expect(await unmatched(payment)).toBe(before);
    // A readiness probe from the node is not proxied: the proxy would deny GET /healthz.
    const [probe] = await requests(payment.nodeNetns, payment.ip, 8080, [{ method: 'GET', path: '/healthz' }]);
    expect(probe?.status).toBe(200);
    // Checkout's POST /v1/charge passes through the proxy: the probe stays green.
    const green = await probeSince(Date.now(), 4);
    expect({ successRate: green.successRate, reasons: green.failureReasons }).toMatchObject({ successRate: 1 });

    // The stand-in reports the proxy's decisions as Hubble does: L7 flows of its requests and answers.
    const url = `http://${payment.ip}:8080/`;
    const l7 = await until('the denied request as an L7 flow', 10_000, async () => {
      const { records } = await hubble.getFlows(
        {
          since,
          whitelist: [
            { destination_ip: [payment.ip], destination_port: ['8080'] },
            { source_ip: [payment.ip], source_port: ['8080'] },
          ],
        },
        { deadline: Date.now() + 5000, maxFlows: 20_000 },
      );
      const http = records.filter((r) => r.http !== undefined);
      const mine = http.filter((r) => r.http?.url === url && r.http.method === 'GET');
      return mine.some((r) => r.http?.type === 'RESPONSE') ? { records: http, mine } : undefined;
    });
    const shape = (r: FlowRecord) => ({
      verdict: r.verdict,
      type: r.http?.type,
      method: r.http?.method,
      url: r.http?.url,
      code: r.http?.code,
      from: `${r.source.namespace}/${r.source.workload}`,
      to: `${r.destination.namespace}/${r.destination.workload}`,
    });
    expect(l7.mine.map(shape)).toEqual([
      {
        verdict: 'DROPPED',
        type: 'REQUEST',
        method: 'GET',
        url,
        code: undefined,
        from: 'production/checkout-frontend',
        to: 'finance/payment-processor',
      },
      {
        verdict: 'FORWARDED',
        type: 'RESPONSE',
        method: 'GET',
        url,
        code: 403,
        from: 'finance/payment-processor',
        to: 'production/checkout-frontend',
      },
    ]);
    // The probe's charges, through the proxy: forwarded, answered 200.
    const charges = l7.records.filter((r) => r.http?.method === 'POST' && r.http.url?.endsWith('/v1/charge'));
    expect(charges.some((r) => r.verdict === 'FORWARDED' && r.http?.type === 'REQUEST')).toBe(true);
    expect(charges.some((r) => r.http?.type === 'RESPONSE' && r.http.code === 200)).toBe(true);
    // One request, one L7 flow: flowtap's own L7 events of the proxied connections are left out.
    // (flowtap would name the request by its path alone.)
    const gets = l7.records.filter(
      (r) =>
        r.http?.type === 'REQUEST' &&
        r.http.method === 'GET' &&
        r.destinationPort === 8080 &&
        (r.http.url === url || r.http.url === '/'),
    );
    expect(gets.map((r) => r.http?.url)).toEqual([url]);
  });

  test('the 3 AM policy makes checkout -> payment vanish, reported as POLICY_DENIED drops; the working one brings it back', async () => {
    const status = await lab.status();
    const change = Date.now();
    await applyToLab(POLICY_3AM, lab.config.dataDir);
    try {
      // Requests in flight at the change have their answer within the probe's 2 s timeout.
      const broken = await probeSince(change + 2500, 4);
      expect({ successRate: broken.successRate, kinds: broken.failureKinds }).toMatchObject({ successRate: 0 });
      expect(broken.requests).toBeGreaterThan(0);

      // Payment's own lookups are denied too: no rule allows DNS.
      const payment = status.pods.find((p) => p.name.startsWith('payment-processor-'));
      if (!payment) throw new Error('no payment-processor pod');
      const lookup = await exec('timeout', [
        '2',
        ...['ip', 'netns', 'exec', payment.netns, 'getent', 'ahostsv4', 'postgres-db.finance.svc.cluster.local.'],
      ]).then(
        () => 'answered',
        () => 'failed',
      );
      expect(lookup).toBe('failed');

      // No frontend matches the seed's HTTP rule: no proxy, no table; the drops are L3/L4.
      const agent = await until('the proxies gone', 10_000, async () => {
        const a = await agentStatus();
        return a.l7?.length === 0 ? a : undefined;
      });
      expect(agent.l7).toEqual([]);
      expect(await policy.hasNft(payment.netns)).toBe(false);

      const since = new Date(change);
      const drops = await until('policy drops in the Hubble stand-in', 15_000, async () => {
        const records = await dropped(since);
        const toPayment = records.filter((r) => r.destinationPort === 8080);
        const toDns = records.filter((r) => r.destinationPort === 53);
        return toPayment.length > 0 && toDns.length > 0 ? { toPayment, toDns, records } : undefined;
      });
      const shape = (r: FlowRecord) => ({
        verdict: r.verdict,
        dropReason: r.dropReason,
        protocol: r.protocol,
        from: `${r.source.namespace}/${r.source.workload}`,
        // CoreDNS is not a pod in the lab: the drop names it by its identity's labels, as Hubble would.
        to: `${r.destination.labels['io.kubernetes.pod.namespace']}/${r.destination.labels['k8s-app'] ?? r.destination.workload}`,
      });
      expect(drops.records.every((r) => r.verdict === 'DROPPED' && r.dropReason === 'POLICY_DENIED')).toBe(true);
      expect(shape(drops.toPayment[0] as FlowRecord)).toEqual({
        verdict: 'DROPPED',
        dropReason: 'POLICY_DENIED',
        protocol: 'TCP',
        from: 'production/checkout-frontend',
        to: 'finance/payment-processor',
      });
      expect(drops.toDns.map(shape)).toContainEqual({
        verdict: 'DROPPED',
        dropReason: 'POLICY_DENIED',
        protocol: 'UDP',
        from: 'finance/payment-processor',
        to: 'kube-system/kube-dns',
      });

      // A policy drop is not a delivery: no TO_ENDPOINT trace of frontend -> payment:8080 once the change holds.
      const raw: unknown[] = [];
      await hubble.getFlows(
        { since: new Date(change + 3000), whitelist: [{ destination_port: ['8080'] }] },
        { deadline: Date.now() + 5000, maxFlows: 5000, raw: (m) => raw.push(m) },
      );
      expect(raw.length).toBeGreaterThan(0);
      const delivered = raw.filter((m) => {
        const text = JSON.stringify(m);
        return (
          text.includes('TO_ENDPOINT') &&
          text.includes('k8s:app=checkout-frontend') &&
          text.includes('k8s:app=payment-processor') &&
          text.includes('FORWARDED')
        );
      });
      expect(delivered).toEqual([]);
    } finally {
      await applyToLab(LAB_POLICY, lab.config.dataDir);
    }
    const back = Date.now();
    const recovered = await probeSince(back + 2500, 4);
    expect({ successRate: recovered.successRate, reasons: recovered.failureReasons }).toMatchObject({
      successRate: 1,
    });
    // And the HTTP rule with it: proxies back, GET / denied again.
    const frontend = pick(status.pods, 'checkout-frontend-');
    const payment = pick(status.pods, 'payment-processor-');
    expect((await agentStatus()).l7?.map((p) => p.ports)).toEqual([[8080], [8080]]);
    const [denied] = await requests(frontend.netns, payment.ip, 8080, [{ method: 'GET', path: '/' }]);
    expect(denied?.status).toBe(403);
  });
});
