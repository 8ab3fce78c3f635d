// The lab enforces network policy the way Cilium does (issue 13): it starts
// with the shop's working payment policy and checkout is green under it;
// the 3 AM change (the seed's policy) makes checkout -> payment vanish, and
// the Hubble stand-in reports the drops as Hubble does (DROPPED,
// POLICY_DENIED 133, the workloads on both sides), read over its gRPC API;
// putting the working policy back brings checkout back. useLab checks that
// `lab down` leaves no namespace, link, pin or process.
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
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => void (last = err));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${String(last ?? 'no value')})`);
    await sleep(500);
  }
}

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
    // Every pod's host-side veth carries the program, both directions (pref 49300).
    expect(agent.attached.sort()).toEqual(status.pods.map((p) => `${p.nodeNetns}|${p.hostInterface}`).sort());
    for (const pod of status.pods) expect(await filterPrefs(pod)).toEqual({ ingress: [49300], egress: [49300] });
    // Only payment-processor is selected by a policy: the other pods stay default-allow.
    const enforced = agent.endpoints.filter((e) => e.enforce.ingress || e.enforce.egress).map((e) => e.pod);
    expect(enforced.length).toBe(2);
    expect(enforced.every((p) => p.startsWith('finance/payment-processor-'))).toBe(true);
    const green = await probeSince(Date.now(), 5);
    expect({ successRate: green.successRate, reasons: green.failureReasons }).toMatchObject({ successRate: 1 });
    expect(green.requests).toBeGreaterThan(50);
    expect((await agentStatus()).stats?.forwarded).toBeGreaterThan(0);
    // Nothing dropped by policy while the working one holds.
    expect(await dropped(new Date(Date.now() - 10_000))).toEqual([]);
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
  });
});
