// `lab up --chart`'s values: helm accepts them, every address a chart pod is
// given is one a pod can route to (nothing on 127.0.0.1; each loopback
// server of the host reached through a port the host relay opens), secrets
// come from the Secrets the lab makes, and each agent pins under its node.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR } from '../../../lab/chart.ts';
import { chartLabValues, CHART_PORTS, LAB_SECRETS, relayPorts } from '../../../lab/chart-values.ts';
import { BPF_PIN_ROOT } from '../../../lab/paths.ts';
import { parseRelayPorts, throughRelay } from '../../../lab/relay/index.ts';
import { HOST_IP, PORTS } from '../../../lab/topology.ts';
import { findTool, REPO_ROOT } from '../../../worker/base.ts';

const exec = promisify(execFile);
const HELM = findTool('helm');

type Env = { name: string; value?: string; valueFrom?: unknown };
type Obj = {
  kind: string;
  metadata: { name: string };
  spec?: {
    template?: { spec: { containers: { env?: Env[] }[]; volumes?: { secret?: { secretName: string } }[] } };
    egress?: { ports?: { port: number }[] }[];
  };
};

const INPUT = {
  temporalAddress: '127.0.0.1:27233',
  temporalNamespace: 'default',
  taskQueue: 'nightshift',
  standinPort: 3001,
  channel: 'C0INCIDENTS',
};

async function render(values: object): Promise<Obj[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-chart-lab-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const { stdout } = await exec(HELM ?? 'helm', [
      'template',
      'nightshift',
      CHART_DIR,
      '-n',
      'nightshift',
      '-f',
      file,
    ]);
    return parseAllDocuments(stdout)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const suite = HELM ? describe : describe.skip;

describe('the host relay addresses', () => {
  test('a loopback address becomes the host fabric address, port kept; others stay', () => {
    expect(throughRelay('127.0.0.1:7233')).toBe(`${HOST_IP}:7233`);
    expect(throughRelay('http://127.0.0.1:9090')).toBe(`http://${HOST_IP}:9090`);
    expect(throughRelay('http://localhost:9470/x')).toBe(`http://${HOST_IP}:9470/x`);
    expect(throughRelay('temporal.example:7233')).toBe('temporal.example:7233');
    expect(throughRelay('http://10.200.0.21:2379')).toBe('http://10.200.0.21:2379');
  });

  test('the relay takes a comma-separated port list and refuses anything else', () => {
    expect(parseRelayPorts('7233,4245,7233')).toEqual([7233, 4245]);
    expect(() => parseRelayPorts(undefined)).toThrow(/NIGHTSHIFT_RELAY_PORTS/);
    expect(() => parseRelayPorts('7233,x')).toThrow(/NIGHTSHIFT_RELAY_PORTS/);
    expect(() => parseRelayPorts('70000')).toThrow(/NIGHTSHIFT_RELAY_PORTS/);
  });

  test('a Temporal that is not on loopback is not relayed', () => {
    expect(relayPorts({ temporalAddress: 'temporal.example:7233', standinPort: 3001 })).not.toContain(7233);
    expect(relayPorts(INPUT)).toEqual(expect.arrayContaining([27233, 4245, PORTS.prometheus, PORTS.probe, 3001]));
  });
});

suite('lab up --chart values', () => {
  let objects: Obj[] = [];
  const envOf = (kind: string, suffix: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name.endsWith(suffix));
    return Object.fromEntries(
      (o?.spec?.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]),
    );
  };

  beforeAll(async () => {
    objects = await render(chartLabValues(INPUT));
  });

  test('the chart accepts them (its schema refuses unknown keys)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/nightshift-worker',
        'Deployment/nightshift-gateway',
        'DaemonSet/nightshift-agent',
      ]),
    );
  });

  test('every address a pod is given is routable from a pod, loopback servers through the relay', () => {
    const relayed = new Set(relayPorts(INPUT));
    // Served on the host's fabric address by the servers themselves.
    const direct = new Set<number>([PORTS.apiserver, PORTS.dnsMetrics]);
    for (const [kind, suffix] of [
      ['Deployment', '-worker'],
      ['Deployment', '-gateway'],
      ['DaemonSet', '-agent'],
    ] as const) {
      for (const [name, value] of Object.entries(envOf(kind, suffix))) {
        if (typeof value !== 'string') continue;
        expect([name, value]).not.toEqual([name, expect.stringMatching(/127\.0\.0\.1|localhost/)]);
        for (const m of value.matchAll(new RegExp(`${HOST_IP.replace(/\./g, '\\.')}:(\\d+)`, 'g'))) {
          const port = Number(m[1]);
          expect([name, port, relayed.has(port) || direct.has(port)]).toEqual([name, port, true]);
        }
      }
    }
    expect(envOf('Deployment', '-worker')).toMatchObject({
      TEMPORAL_ADDRESS: `${HOST_IP}:27233`,
      NIGHTSHIFT_HUBBLE_RELAY: `${HOST_IP}:4245`,
      NIGHTSHIFT_PROMETHEUS_URL: `http://${HOST_IP}:${PORTS.prometheus}`,
      NIGHTSHIFT_PROBE_URL: `http://${HOST_IP}:${PORTS.probe}`,
      NIGHTSHIFT_CLUSTER_DNS: '10.96.0.10',
      SLACK_API_URL: `http://${HOST_IP}:3001/api/`,
      NIGHTSHIFT_SLACK_CHANNEL: 'C0INCIDENTS',
      NIGHTSHIFT_METRICS_ADDRESS: `0.0.0.0:${CHART_PORTS.workerMetrics}`,
    });
    expect(envOf('Deployment', '-worker').KUBECONFIG).toBeUndefined();
  });

  test("secrets come from the lab's Secrets; the gateway may reach Temporal's and the stand-in's ports", () => {
    const secretNames = new Set(
      objects.flatMap((o) => (o.spec?.template?.spec.volumes ?? []).flatMap((v) => v.secret?.secretName ?? [])),
    );
    expect([...secretNames].sort()).toEqual([LAB_SECRETS.slack, LAB_SECRETS.webhook].sort());
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-gateway'));
    const ports = (policy?.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port));
    expect(ports).toEqual(expect.arrayContaining([27233, 3001]));
  });

  test('each agent pins under its own node, where lab down looks', () => {
    expect(envOf('DaemonSet', '-agent')).toMatchObject({
      NIGHTSHIFT_NODE_NAME: { fieldRef: { fieldPath: 'spec.nodeName' } },
      NIGHTSHIFT_PIN_ROOT: `${BPF_PIN_ROOT}/$(NIGHTSHIFT_NODE_NAME)`,
      TEMPORAL_ADDRESS: `${HOST_IP}:27233`,
    });
    expect(chartLabValues(INPUT)).toMatchObject({ appDir: REPO_ROOT });
  });
});
