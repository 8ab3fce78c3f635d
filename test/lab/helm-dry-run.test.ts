// deploy/helm/nightshift against a real API server (the lab's): every object
// the chart renders, over a few value sets, passes a server-side dry-run
// apply; Pod Security refuses the agent's pod in a `baseline` namespace and
// takes it in the agent's own `privileged` one (and the worker's in a
// `restricted` one); and, with the chart's RBAC applied for real, the worker
// may patch Deployments in the listed namespaces only, nobody may read a
// Secret, and the gateway and the agent may do nothing at all.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { kubeFromConfig, takeSnapshot } from '../../activities/index.ts';
import { kubeconfigPath, LAB_CHART_VALUES, LAB_RELEASE, LAB_WORKER_SA, workerKubeconfigPath } from '../../lab/index.ts';
import { labEvidenceEnv } from '../../lab/hubble/index.ts';
import { REPO_ROOT, TOOLS_BIN } from '../../worker/tools.ts';
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);
const CHART = join(REPO_ROOT, 'deploy/helm/nightshift');
const HELM = existsSync(join(TOOLS_BIN, 'helm')) ? join(TOOLS_BIN, 'helm') : undefined;
const KUBECTL = join(TOOLS_BIN, 'kubectl');

const RELEASE_NS = 'nightshift-chart';
const AGENT_NS = 'nightshift-chart-agent';
const BASELINE_NS = 'nightshift-chart-baseline';
/** Namespaces the remediation value lists in one case, made for the test (the shop's production and finance exist). */
const EXTRA_NS = ['nightshift-chart-shop', 'nightshift-chart-search'];
const WORKER_SA = `system:serviceaccount:${RELEASE_NS}:t-nightshift-worker`;
const GATEWAY_SA = `system:serviceaccount:${RELEASE_NS}:t-nightshift-gateway`;
const AGENT_SA = `system:serviceaccount:${AGENT_NS}:t-nightshift-agent`;

type Values = Record<string, unknown>;
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec: Record<string, unknown> } };
}

const base: Values = { agent: { namespace: AGENT_NS, createNamespace: true } };
const CASES: Record<string, Values> = {
  defaults: base,
  'every opt-in: ingress, cordon, cluster-wide policies, pod namespaces': {
    agent: { namespace: AGENT_NS, enterPodNamespaces: true },
    gateway: { ingress: { enabled: true, className: 'nginx', tlsSecretName: 'tls' } },
    remediation: { cordonNodes: true, clusterwidePolicies: true, namespaces: EXTRA_NS },
  },
  'Temporal Cloud with an API key, HTTPRoute, every evidence source': {
    ...base,
    temporal: { address: 'acme.a1b2c.tmprl.cloud:7233', namespace: 'acme.a1b2c', apiKey: { existingSecret: 'tc' } },
    gateway: { httpRoute: { enabled: true, parentRefs: [{ name: 'public' }] } },
    slack: { socketMode: true, channel: 'C0INCIDENTS' },
    evidence: {
      prometheusUrl: 'http://prometheus:9090',
      hubble: { relay: 'hubble-relay:443', tls: { existingSecret: 'hubble-ca' } },
      etcd: { endpoints: ['https://10.0.0.10:2379'], tls: { existingSecret: 'etcd-client' } },
      clusterDns: ['10.96.0.10'],
    },
    runbooks: { files: { 'dns-outage': 'name: dns-outage\n' } },
  },
  'Temporal mTLS': {
    ...base,
    temporal: { address: 'temporal:7233', tls: { existingSecret: 'mtls', caKey: 'ca.crt' } },
  },
};

async function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const suite = HELM ? describe : describe.skip;
const SKIP = HELM ? '' : ' (skipped: no helm in .tools/bin: run scripts/build-servers.sh helm)';

suite(`the chart against the lab's API server${SKIP}`, () => {
  const lab = useLab();
  let dir = '';
  let kubeconfig = '';
  const rendered = new Map<string, { file: string; manifests: Manifest[] }>();
  /** RBAC objects applied for real, removed in afterAll. */
  let rbacFile = '';

  const kubectl = (args: string[]) => run(KUBECTL, ['--kubeconfig', kubeconfig, ...args]);
  const must = async (args: string[]) => {
    const r = await kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${r.out}`);
    return r.out;
  };
  const writeObjects = (name: string, objects: unknown[]) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    return file;
  };
  /** yes or no (kubectl also warns on stderr, e.g. that nodes are not namespaced). */
  const canI = async (as: string, args: string[]) =>
    /^(yes|no)$/m.exec((await kubectl(['auth', 'can-i', ...args, `--as=${as}`])).out)?.[1];
  /** The resource rows of `kubectl auth can-i --list`, without the self-reviews every account may create. */
  const resourceRows = (list: string) =>
    list
      .split('\n')
      .filter((l) => /^\S/.test(l) && !l.startsWith('Resources') && !l.startsWith('selfsubject'))
      .map((l) => l.split(/\s+/)[0]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-helm-lab-'));
    kubeconfig = kubeconfigPath(lab.config.dataDir);
    for (const [name, values] of Object.entries(CASES)) {
      const valuesFile = join(dir, `values-${rendered.size}.json`);
      writeFileSync(valuesFile, JSON.stringify(values));
      const r = await run(HELM as string, ['template', 't', CHART, '-n', RELEASE_NS, '-f', valuesFile]);
      if (r.code !== 0) throw new Error(`helm template (${name}):\n${r.out}`);
      const file = join(dir, `rendered-${rendered.size}.yaml`);
      writeFileSync(file, r.out);
      const manifests = parseAllDocuments(r.out)
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null);
      rendered.set(name, { file, manifests });
    }
    // A dry run of an object in a namespace that does not exist fails: these are made for real.
    const ns = (name: string, level: string) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': level } },
    });
    await must([
      'apply',
      '--server-side',
      '-f',
      writeObjects('namespaces.json', [
        ns(RELEASE_NS, 'restricted'),
        ns(AGENT_NS, 'privileged'),
        ns(BASELINE_NS, 'baseline'),
        ...EXTRA_NS.map((n) => ns(n, 'restricted')),
      ]),
    ]);
  });

  afterAll(async () => {
    if (rbacFile) await kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', rbacFile]);
    if (kubeconfig)
      await kubectl([
        'delete',
        'namespace',
        '--ignore-not-found',
        '--wait=false',
        RELEASE_NS,
        AGENT_NS,
        BASELINE_NS,
        ...EXTRA_NS,
      ]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each(Object.keys(CASES))('every object of "%s" passes a server-side dry-run apply', async (name) => {
    const { file, manifests } = rendered.get(name) ?? { file: '', manifests: [] };
    const r = await kubectl([
      'apply',
      '--server-side',
      '--dry-run=server',
      '--field-manager=nightshift-test',
      '-f',
      file,
    ]);
    if (r.code !== 0) throw new Error(r.out);
    const applied = r.out.split('\n').filter((l) => l.includes('serverside-applied (server dry run)'));
    expect(applied.length).toBe(manifests.length);
  });

  const podFrom = (manifests: Manifest[], kind: string, suffix: string, namespace: string) => {
    const owner = manifests.find((m) => m.kind === kind && m.metadata.name.endsWith(suffix));
    if (!owner?.spec?.template) throw new Error(`no ${kind} *${suffix}`);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `psa${suffix}`, namespace },
      spec: owner.spec.template.spec,
    };
  };
  const createDry = (file: string) => kubectl(['create', '--dry-run=server', '-f', file]);

  test('Pod Security refuses the agent in a baseline namespace and takes it in its own privileged one', async () => {
    for (const name of ['defaults', 'every opt-in: ingress, cordon, cluster-wide policies, pod namespaces']) {
      const manifests = rendered.get(name)?.manifests ?? [];
      const refused = await createDry(
        writeObjects('agent-baseline.json', [podFrom(manifests, 'DaemonSet', '-agent', BASELINE_NS)]),
      );
      expect(refused.code).not.toBe(0);
      expect(refused.out).toMatch(/violates PodSecurity "baseline:latest"/);
      expect(refused.out).toMatch(/host namespaces|hostNetwork/);
      expect(refused.out).toMatch(/hostPath volumes/);
      expect(refused.out).toMatch(/non-default capabilities/);
      const taken = await createDry(
        writeObjects('agent-privileged.json', [podFrom(manifests, 'DaemonSet', '-agent', AGENT_NS)]),
      );
      if (taken.code !== 0) throw new Error(taken.out);
      expect(taken.out).toMatch(/created \(server dry run\)/);
    }
  });

  test('Pod Security takes the worker and the gateway in a restricted namespace', async () => {
    const manifests = rendered.get('defaults')?.manifests ?? [];
    const r = await createDry(
      writeObjects('restricted.json', [
        podFrom(manifests, 'Deployment', '-worker', RELEASE_NS),
        podFrom(manifests, 'Deployment', '-gateway', RELEASE_NS),
      ]),
    );
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).not.toMatch(/Warning/);
  });

  describe('with the RBAC objects applied for real', () => {
    beforeAll(async () => {
      const manifests = rendered.get('defaults')?.manifests ?? [];
      const rbac = manifests.filter((m) =>
        ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(m.kind),
      );
      rbacFile = writeObjects('rbac.json', rbac);
      await must(['apply', '--server-side', '--field-manager=nightshift-test', '-f', rbacFile]);
    });

    test('the worker may patch Deployments in the listed namespaces and nowhere else', async () => {
      for (const ns of ['production', 'finance'])
        expect(await canI(WORKER_SA, ['patch', 'deployments.apps', '-n', ns])).toBe('yes');
      for (const ns of ['default', 'kube-system', RELEASE_NS, AGENT_NS, ...EXTRA_NS])
        expect(await canI(WORKER_SA, ['patch', 'deployments.apps', '-n', ns])).toBe('no');
      expect(await canI(WORKER_SA, ['patch', 'deployments.apps', '--all-namespaces'])).toBe('no');
      // Gathering reaches every namespace; changing nodes was not opted in.
      expect(await canI(WORKER_SA, ['list', 'pods', '--all-namespaces'])).toBe('yes');
      expect(await canI(WORKER_SA, ['patch', 'nodes'])).toBe('no');
    });

    test('no nightshift account may read or list a Secret anywhere', async () => {
      for (const sa of [WORKER_SA, GATEWAY_SA, AGENT_SA]) {
        for (const verb of ['get', 'list', 'watch'])
          expect(await canI(sa, [verb, 'secrets', '--all-namespaces'])).toBe('no');
        for (const ns of ['production', 'kube-system', RELEASE_NS, AGENT_NS])
          expect(await canI(sa, ['get', 'secrets', '-n', ns])).toBe('no');
      }
    });

    test('the gateway and the agent may do nothing beyond what every authenticated account may', async () => {
      for (const [sa, ns] of [
        [GATEWAY_SA, RELEASE_NS],
        [AGENT_SA, AGENT_NS],
      ] as const) {
        expect(await canI(sa, ['list', 'pods', '--all-namespaces'])).toBe('no');
        expect(await canI(sa, ['list', 'nodes'])).toBe('no');
        expect(resourceRows(await must(['auth', 'can-i', '--list', `--as=${sa}`, '-n', ns]))).toEqual([]);
      }
    });

    test('what each account may do, as `kubectl auth can-i --list` says (docs/permissions.md)', async () => {
      for (const [sa, ns] of [
        [WORKER_SA, 'production'],
        [WORKER_SA, 'default'],
        [GATEWAY_SA, RELEASE_NS],
        [AGENT_SA, AGENT_NS],
      ] as const) {
        const list = await must(['auth', 'can-i', '--list', `--as=${sa}`, '-n', ns]);
        process.stdout.write(`\n$ kubectl auth can-i --list --as=${sa} -n ${ns}\n${list}`);
        expect(resourceRows(list)).not.toContain('secrets');
      }
    });
  });

  describe("the lab's control worker runs with the permissions the chart grants (lab/chart.ts)", () => {
    const workerKubeconfig = () => workerKubeconfigPath(lab.config.dataDir);
    const asWorker = (args: string[]) => run(KUBECTL, ['--kubeconfig', workerKubeconfig(), ...args]);
    const workerCan = async (args: string[]) =>
      /^(yes|no)$/m.exec((await asWorker(['auth', 'can-i', ...args])).out)?.[1];
    const LAB_WORKER = `system:serviceaccount:${LAB_RELEASE.namespace}:${LAB_WORKER_SA}`;

    test("the workers beside the chart's get a token of its worker ServiceAccount, the one its worker pods run as", async () => {
      const whoami = await asWorker(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(whoami).toEqual({ code: 0, out: LAB_WORKER });
      const accounts = await must([
        'get',
        'pods',
        '-n',
        LAB_RELEASE.namespace,
        '-l',
        'app.kubernetes.io/component=worker',
        '-o',
        'jsonpath={.items[*].spec.serviceAccountName}',
      ]);
      expect(accounts.trim().split(/\s+/)).toEqual([LAB_WORKER_SA]);
      expect(labEvidenceEnv(lab.config.dataDir).KUBECONFIG).toBe(workerKubeconfig());
    });

    test("it may gather everywhere and remediate only in the lab's listed namespaces, and never read a Secret", async () => {
      expect(LAB_CHART_VALUES.remediation.namespaces).toEqual(['production', 'finance', 'kube-system']);
      expect(await workerCan(['list', 'pods', '--all-namespaces'])).toBe('yes');
      expect(await workerCan(['list', 'ciliumnetworkpolicies.cilium.io', '--all-namespaces'])).toBe('yes');
      for (const ns of LAB_CHART_VALUES.remediation.namespaces)
        expect(await workerCan(['patch', 'deployments', '-n', ns])).toBe('yes');
      expect(await workerCan(['patch', 'deployments', '-n', 'default'])).toBe('no');
      expect(await workerCan(['patch', 'nodes'])).toBe('yes'); // cordonNodes: on in the lab's values
      for (const ns of ['production', 'kube-system', LAB_RELEASE.namespace])
        expect(await workerCan(['get', 'secrets', '-n', ns])).toBe('no');
    });

    test('the Kubernetes collector reads the shop with it and is refused nothing; without the RBAC it is refused by name', async () => {
      const namespaces = ['production', 'finance', 'kube-system'];
      const snapshot = await takeSnapshot(
        kubeFromConfig(workerKubeconfig()),
        namespaces,
        undefined,
        Date.now() + 20_000,
      );
      // (The lab serves no CiliumClusterwideNetworkPolicy kind: that read is "not found", not refused.)
      expect(snapshot.problems.filter((p) => p.kind !== 'not-found')).toEqual([]);
      expect(snapshot.pods.length).toBeGreaterThan(0);
      // The same reads with the gateway's token (an account the chart binds to nothing): each refusal names its verb and resource.
      const token = JSON.parse(
        await must([
          'create',
          'token',
          `${LAB_RELEASE.name}-gateway`,
          '-n',
          LAB_RELEASE.namespace,
          '--duration=10m',
          '-o',
          'json',
        ]),
      ) as { status: { token: string } };
      const gatewayKubeconfig = join(dir, 'gateway.kubeconfig');
      writeFileSync(
        gatewayKubeconfig,
        readFileSync(workerKubeconfig(), 'utf8').replace(/token: .*/, `token: ${token.status.token}`),
      );
      const refused = await takeSnapshot(kubeFromConfig(gatewayKubeconfig), namespaces, undefined, Date.now() + 20_000);
      expect(refused.problems.map((p) => `${p.kind} ${p.what}`)).toEqual(
        expect.arrayContaining(['forbidden list nodes', 'forbidden get namespace production']),
      );
      expect(refused.problems.find((p) => p.what === 'list nodes')?.message).toMatch(
        /cannot list resource "nodes" in API group ""/,
      );
    });
  });
});
