// deploy/helm/nightshift, checked offline: `helm lint --strict`, and
// `helm template` over a matrix of values with assertions on what renders —
// the schema refuses unknown keys, no Secret is rendered and no role names
// Secrets, the remediate role is bound in exactly the listed namespaces, the
// worker runs hardened with a grace above its Temporal shutdownGraceTime,
// the gateway mounts no token, the agent runs in its own privileged
// namespace, and nodes are patched only when that is opted in.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { parseDuration } from '../../model/index.ts';
import { configSchema } from '../../worker/config.ts';
import { REPO_ROOT, TOOLS_BIN } from '../../worker/tools.ts';

const exec = promisify(execFile);
const CHART = join(REPO_ROOT, 'deploy/helm/nightshift');
/** helm as scripts/build-servers.sh builds it; none on PATH is used (nothing downloads at test time). */
const HELM = existsSync(join(TOOLS_BIN, 'helm')) ? join(TOOLS_BIN, 'helm') : undefined;
const RELEASE_NS = 'nightshift';

type Values = Record<string, unknown>;
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

async function runHelm(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(HELM as string, args, { maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** `helm template` with these values (as a values file), its objects parsed. */
async function helmTemplate(
  values: Values,
  namespace: string,
): Promise<{ code: number; out: string; manifests: Manifest[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const r = await runHelm(['template', 't', CHART, '--namespace', namespace, '-f', file]);
    const manifests =
      r.code === 0
        ? parseAllDocuments(r.out)
            .map((d) => d.toJS() as Manifest | null)
            .filter((m): m is Manifest => m !== null)
        : [];
    return { ...r, manifests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The control worker's Temporal shutdownGraceTime, as the code sets it. */
function workerShutdownGraceS(): number {
  const source = readFileSync(join(REPO_ROOT, 'worker/control-worker.ts'), 'utf8');
  const m = /shutdownGraceTime:\s*'([^']+)'/.exec(source);
  if (!m?.[1]) throw new Error('worker/control-worker.ts no longer sets shutdownGraceTime as a literal');
  return (parseDuration(m[1]) ?? NaN) / 1000;
}

const MATRIX: Record<string, Values> = {
  defaults: {},
  'ingress on': { gateway: { ingress: { enabled: true, className: 'nginx', tlsSecretName: 'nightshift-tls' } } },
  'httpRoute on': { gateway: { httpRoute: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gw' }] } } },
  'cordon opt-in': { remediation: { cordonNodes: true } },
  'cluster-wide policies opt-in': { remediation: { clusterwidePolicies: true } },
  'Temporal Cloud API key': {
    temporal: { address: 'acme.a1b2c.tmprl.cloud:7233', namespace: 'acme.a1b2c', apiKey: { existingSecret: 'tc' } },
  },
  'Temporal mTLS': {
    temporal: { address: 'temporal.internal:7233', tls: { existingSecret: 'temporal-mtls', caKey: 'ca.crt' } },
  },
  'extra agent capabilities': { agent: { enterPodNamespaces: true } },
  'agent keeps faults through restarts': { agent: { stopFaultsOnExit: false } },
  'remediation namespaces changed': { remediation: { namespaces: ['shop', 'payments', 'search'] } },
  'extra env': {
    worker: { extraEnv: [{ name: 'NIGHTSHIFT_PROBE_URL', value: 'http://10.200.0.1:9470' }] },
    gateway: { extraEnv: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] },
    agent: { extraEnv: [{ name: 'NIGHTSHIFT_PIN_ROOT', value: '/sys/fs/bpf/lab/$(NIGHTSHIFT_NODE_NAME)' }] },
  },
  'every evidence source, Slack Socket Mode, runbooks': {
    slack: { socketMode: true, channel: 'C0INCIDENTS' },
    evidence: {
      prometheusUrl: 'http://prometheus.monitoring.svc:9090',
      hubble: { relay: 'hubble-relay.kube-system.svc:443', tls: { existingSecret: 'hubble-ca' } },
      etcd: { endpoints: ['https://10.0.0.10:2379'], tls: { existingSecret: 'etcd-client' } },
      clusterDns: ['10.96.0.10'],
      corednsMetrics: ['http://10.96.0.10:9153/metrics'],
    },
    runbooks: { files: { 'dns-outage': 'name: dns-outage\n' }, experiments: { 'dns-drop': 'name: dns-drop\n' } },
  },
};

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[] };
type Container = {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext?: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  hostPID?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; emptyDir?: object; hostPath?: { path: string }; secret?: { secretName: string } }[];
  tolerations?: { operator?: string; key?: string }[];
};

const podOf = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;
const find = (all: Manifest[], kind: string, suffix: string) => {
  const m = all.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
  if (!m) throw new Error(`no ${kind} *${suffix} rendered`);
  return m;
};
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const rulesOf = (m: Manifest) => (m as Manifest & { rules?: Rule[] }).rules ?? [];

const suite = HELM ? describe : describe.skip;
const SKIP = HELM ? '' : ` (skipped: no helm in .tools/bin: run scripts/build-servers.sh helm)`;

suite(`deploy/helm/nightshift${SKIP}`, () => {
  const rendered = new Map<string, Manifest[]>();
  beforeAll(async () => {
    for (const [name, values] of Object.entries(MATRIX)) {
      const r = await helmTemplate(values, RELEASE_NS);
      if (r.code !== 0) throw new Error(`helm template (${name}) failed:\n${r.out}`);
      rendered.set(name, r.manifests);
    }
  });
  const each = (fn: (all: Manifest[], name: string) => void) => () => {
    expect(rendered.size).toBe(Object.keys(MATRIX).length);
    for (const [name, all] of rendered) {
      try {
        fn(all, name);
      } catch (err) {
        throw new Error(`values "${name}": ${(err as Error).message}`, { cause: err });
      }
    }
  };

  it('passes helm lint --strict', async () => {
    const r = await runHelm(['lint', '--strict', CHART]);
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses an unknown value key, naming it, at the top and nested', async () => {
    for (const [values, where, key] of [
      [{ replicas: 3 }, "at ''", 'replicas'],
      [{ worker: { replica: 3 } }, "at '/worker'", 'replica'],
      [{ agent: { capabilities: ['SYS_ADMIN'] } }, "at '/agent'", 'capabilities'],
      [{ temporal: { tls: { cert: 'x' } } }, "at '/temporal/tls'", 'cert'],
    ] as const) {
      const r = await helmTemplate(values as Values, RELEASE_NS);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain(where);
      expect(r.out).toMatch(new RegExp(`additional properties '${key}' not allowed`));
    }
  });

  it('renders the same kinds of objects in every case, none of them a Secret', () => {
    each((all) => {
      expect(all.filter((m) => m.kind === 'Secret')).toEqual([]);
      for (const kind of ['Deployment', 'DaemonSet', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'Namespace'])
        expect(all.some((m) => m.kind === kind)).toBe(true);
    })();
  });

  it('has no role rule that mentions Secrets, or any wildcard', () => {
    each((all) => {
      for (const role of all.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role'))
        for (const rule of rulesOf(role)) {
          expect(rule.resources ?? []).not.toContain('secrets');
          expect([...(rule.resources ?? []), ...(rule.verbs ?? []), ...(rule.apiGroups ?? [])]).not.toContain('*');
        }
    })();
  });

  it('binds the remediate ClusterRole only by RoleBindings, in exactly the listed namespaces', () => {
    each((all, name) => {
      const listed = (MATRIX[name]?.remediation as { namespaces?: string[] } | undefined)?.namespaces ?? [
        'production',
        'finance',
      ];
      const remediate = find(all, 'ClusterRole', '-remediate').metadata.name;
      const bindings = all.filter((m) => (m as Manifest & { roleRef?: { name: string } }).roleRef?.name === remediate);
      expect(bindings.map((b) => b.kind)).toEqual(listed.map(() => 'RoleBinding'));
      expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([...listed].sort());
      for (const b of bindings)
        expect((b as Manifest & { subjects: unknown[] }).subjects).toEqual([
          { kind: 'ServiceAccount', name: 't-nightshift-worker', namespace: RELEASE_NS },
        ]);
    })();
  });

  it('grants exactly the verbs of the permission table in docs/permissions.md, each with its role', async () => {
    const r = await helmTemplate({ remediation: { cordonNodes: true, clusterwidePolicies: true } }, RELEASE_NS);
    if (r.code !== 0) throw new Error(r.out);
    const granted = r.manifests
      .filter((m) => m.kind === 'ClusterRole')
      .flatMap((role) =>
        rulesOf(role).flatMap((rule) =>
          (rule.apiGroups ?? []).flatMap((g) =>
            (rule.resources ?? []).flatMap((res) =>
              (rule.verbs ?? []).map((v) => `${role.metadata.name.replace(/^t-nightshift-/, '')} ${g}/${res} ${v}`),
            ),
          ),
        ),
      );
    const doc = readFileSync(join(REPO_ROOT, 'docs/permissions.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## The permission table'), doc.indexOf('## What the chart cannot restrict'));
    const documented = [
      ...table.matchAll(/^\| `([^`]*)` \| (\w+) \| ([\w, ]+) \| .+ \| ([\w-]+)(?: \(opt-in\))? \|$/gm),
    ].flatMap(([, group, resource, verbs, role]) =>
      (verbs ?? '').split(', ').map((v) => `${role} ${group === '""' ? '' : group}/${resource} ${v.trim()}`),
    );
    expect(documented.length).toBeGreaterThan(10);
    expect([...granted].sort()).toEqual([...documented].sort());
  });

  it('lets the worker patch nodes only when cordoning is opted in', () => {
    each((all, name) => {
      const patchesNodes = all
        .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')
        .some((r) =>
          rulesOf(r).some(
            (rule) =>
              (rule.apiGroups ?? []).includes('') &&
              (rule.resources ?? []).includes('nodes') &&
              (rule.verbs ?? []).includes('patch'),
          ),
        );
      expect(patchesNodes).toBe(name === 'cordon opt-in');
    })();
  });

  it('runs the worker hardened: non-root, read-only root, no capabilities, RuntimeDefault, no escalation', () => {
    each((all) => {
      for (const suffix of ['-worker', '-gateway']) {
        const pod = podOf(find(all, 'Deployment', suffix));
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of pod.containers) {
          expect(c.securityContext).toMatchObject({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(c.securityContext?.capabilities?.add).toBeUndefined();
          // What it writes goes to emptyDirs: the data dir and /tmp.
          const env = envOf(c);
          const writable = (c.volumeMounts ?? []).filter((v) =>
            pod.volumes?.some((vol) => vol.name === v.name && vol.emptyDir),
          );
          expect(writable.map((v) => v.mountPath).sort()).toEqual([env.NIGHTSHIFT_DATA_DIR, '/tmp'].sort());
        }
      }
    })();
  });

  it('gives the worker two replicas, a PodDisruptionBudget and a grace above its Temporal shutdownGraceTime', () => {
    const grace = workerShutdownGraceS();
    expect(grace).toBeGreaterThan(0);
    each((all) => {
      const worker = find(all, 'Deployment', '-worker');
      expect((worker.spec as { replicas: number }).replicas).toBe(2);
      expect(podOf(worker).containers[0]?.args).toEqual(['worker']);
      expect(podOf(worker).terminationGracePeriodSeconds).toBeGreaterThan(grace);
      const pdb = find(all, 'PodDisruptionBudget', '-worker');
      expect(pdb.spec).toMatchObject({
        minAvailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } },
      });
    })();
  });

  it('refuses a worker grace the schema knows is too short', async () => {
    const r = await helmTemplate({ worker: { terminationGracePeriodSeconds: 5 } }, RELEASE_NS);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/terminationGracePeriodSeconds/);
  });

  it('gives the gateway no service-account token, its own NetworkPolicy, and probes on /healthz and /readyz', () => {
    each((all) => {
      const gw = find(all, 'Deployment', '-gateway');
      const pod = podOf(gw);
      expect(pod.automountServiceAccountToken).toBe(false);
      const sa = find(all, 'ServiceAccount', '-gateway') as Manifest & { automountServiceAccountToken?: boolean };
      expect(sa.automountServiceAccountToken).toBe(false);
      const c = pod.containers[0] as Container & Record<string, { httpGet?: { path: string } }>;
      expect(c.args).toEqual(['gateway', '--no-standin']);
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
      const np = find(all, 'NetworkPolicy', '-gateway');
      expect((np.spec as { podSelector: unknown }).podSelector).toEqual({
        matchLabels: (gw.spec as { selector: { matchLabels: unknown } }).selector.matchLabels,
      });
      expect((np.spec as { policyTypes: string[] }).policyTypes).toEqual(['Ingress', 'Egress']);
      // No role binds the gateway's account.
      for (const b of all.filter((m) => m.kind.endsWith('Binding')))
        for (const s of (b as Manifest & { subjects: { name: string }[] }).subjects)
          expect(s.name).not.toMatch(/-gateway$/);
    })();
  });

  it('publishes only the Slack and Alertmanager paths through an Ingress or HTTPRoute, when asked', () => {
    const paths = (all: Manifest[]) => {
      const ing = all.find((m) => m.kind === 'Ingress');
      const route = all.find((m) => m.kind === 'HTTPRoute');
      return {
        ingress: ing
          ? (ing.spec as { rules: { http: { paths: { path: string }[] } }[] }).rules.flatMap((r) =>
              r.http.paths.map((p) => p.path),
            )
          : undefined,
        route: route
          ? (route.spec as { rules: { matches: { path: { value: string } }[] }[] }).rules.flatMap((r) =>
              r.matches.map((m) => m.path.value),
            )
          : undefined,
      };
    };
    const both = ['/slack/events', '/webhooks/alertmanager'];
    expect(paths(rendered.get('defaults') ?? [])).toEqual({ ingress: undefined, route: undefined });
    expect(paths(rendered.get('ingress on') ?? []).ingress).toEqual(both);
    expect(paths(rendered.get('httpRoute on') ?? []).route).toEqual(both);
  });

  it('runs the agent in its own namespace, Pod Security privileged, on every node, with the node name and bpffs', () => {
    each((all, name) => {
      const ds = find(all, 'DaemonSet', '-agent');
      expect(ds.metadata.namespace).toBe('nightshift-agent');
      const ns = all.find((m) => m.kind === 'Namespace' && m.metadata.name === 'nightshift-agent');
      expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
      // Nothing else is put in the privileged namespace but the agent's own objects.
      for (const m of all.filter((o) => o.metadata.namespace === 'nightshift-agent'))
        expect(['DaemonSet', 'ServiceAccount', 'ConfigMap']).toContain(m.kind);
      const pod = podOf(ds);
      expect(pod.hostNetwork).toBe(true);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
      const c = pod.containers[0] as Container;
      expect(c.args?.[0]).toBe('agent');
      // An uninstalled agent takes its node's faults with it, unless told to leave them to the next one.
      expect(c.args?.includes('--stop-faults-on-exit')).toBe(name !== 'agent keeps faults through restarts');
      expect(envOf(c).NIGHTSHIFT_NODE_NAME).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
      expect(pod.volumes?.find((v) => v.name === 'bpffs')?.hostPath?.path).toBe('/sys/fs/bpf');
      expect(c.volumeMounts?.find((v) => v.name === 'bpffs')?.mountPath).toBe('/sys/fs/bpf');
      const extra = name === 'extra agent capabilities';
      expect(c.securityContext?.capabilities).toEqual({
        drop: ['ALL'],
        add: extra ? ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'] : ['BPF', 'PERFMON', 'NET_ADMIN'],
      });
      expect(c.securityContext?.privileged).toBe(false);
      expect(pod.hostPID === true).toBe(extra);
    })();
  });

  it("adds extraEnv after the chart's own env (so $(VAR) may name the chart's), and refuses a malformed entry", async () => {
    const all = rendered.get('extra env') ?? [];
    const names = (kind: string, suffix: string) =>
      (podOf(find(all, kind, suffix)).containers[0]?.env ?? []).map((e) => e.name);
    expect(names('Deployment', '-worker').at(-1)).toBe('NIGHTSHIFT_PROBE_URL');
    expect(names('Deployment', '-gateway').at(-1)).toBe('POD_IP');
    const agent = names('DaemonSet', '-agent');
    expect(agent.at(-1)).toBe('NIGHTSHIFT_PIN_ROOT');
    expect(agent.indexOf('NIGHTSHIFT_NODE_NAME')).toBeLessThan(agent.indexOf('NIGHTSHIFT_PIN_ROOT'));
    expect(envOf(podOf(find(all, 'Deployment', '-gateway')).containers[0] as Container).POD_IP).toEqual({
      fieldRef: { fieldPath: 'status.podIP' },
    });
    const bad = await helmTemplate({ worker: { extraEnv: [{ nam: 'X', value: '1' }] } }, RELEASE_NS);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/extraEnv\/0': additional properties 'nam' not allowed/);
  });

  it('takes Temporal from the standard variables, secrets as files from existing Secrets only', () => {
    const env = (values: string, suffix: string, kind = 'Deployment') =>
      envOf(podOf(find(rendered.get(values) ?? [], kind, suffix)).containers[0] as Container);
    expect(env('defaults', '-worker')).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal-frontend.temporal.svc:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(env('defaults', '-worker').TEMPORAL_API_KEY_FILE).toBeUndefined();
    for (const [suffix, kind] of [
      ['-worker', 'Deployment'],
      ['-gateway', 'Deployment'],
      ['-agent', 'DaemonSet'],
    ] as const) {
      expect(env('Temporal Cloud API key', suffix, kind)).toMatchObject({
        TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'acme.a1b2c',
        TEMPORAL_API_KEY_FILE: '/etc/nightshift/temporal-api-key/api-key',
      });
      expect(env('Temporal mTLS', suffix, kind)).toMatchObject({
        TEMPORAL_TLS_CERT: '/etc/nightshift/temporal-tls/tls.crt',
        TEMPORAL_TLS_KEY: '/etc/nightshift/temporal-tls/tls.key',
        TEMPORAL_TLS_CA: '/etc/nightshift/temporal-tls/ca.crt',
      });
    }
    expect(env('defaults', '-gateway')).toMatchObject({
      // On the pod's address, not loopback: its Service and readiness probe come in there.
      NIGHTSHIFT_HTTP_HOST: '0.0.0.0',
      NIGHTSHIFT_ALERTS_TOKEN_FILE: '/etc/nightshift/alerts/token',
      SLACK_BOT_TOKEN_FILE: '/etc/nightshift/slack/bot-token',
      SLACK_SIGNING_SECRET_FILE: '/etc/nightshift/slack/signing-secret',
    });
    const socket = env('every evidence source, Slack Socket Mode, runbooks', '-worker');
    expect(socket).toMatchObject({
      SLACK_APP_TOKEN_FILE: '/etc/nightshift/slack/app-token',
      NIGHTSHIFT_SLACK_CHANNEL: 'C0INCIDENTS',
      NIGHTSHIFT_PROMETHEUS_URL: 'http://prometheus.monitoring.svc:9090',
      NIGHTSHIFT_HUBBLE_RELAY: 'hubble-relay.kube-system.svc:443',
      NIGHTSHIFT_HUBBLE_TLS_CA: '/etc/nightshift/hubble/ca.crt',
      NIGHTSHIFT_ETCD_ENDPOINTS: 'https://10.0.0.10:2379',
      NIGHTSHIFT_CLUSTER_DNS: '10.96.0.10',
      NIGHTSHIFT_COREDNS_METRICS: 'http://10.96.0.10:9153/metrics',
    });
    expect(socket.SLACK_SIGNING_SECRET_FILE).toBeUndefined();
    // Every variable that carries a secret is a _FILE; no secret's value is in the values at all.
    each((all) => {
      for (const m of all.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet'))
        for (const c of podOf(m).containers)
          for (const e of c.env ?? [])
            expect(e.name).not.toMatch(
              /^(SLACK_BOT_TOKEN|SLACK_SIGNING_SECRET|SLACK_APP_TOKEN|TEMPORAL_API_KEY|NIGHTSHIFT_ALERTS_TOKEN)$/,
            );
    })();
  });

  it('mounts ConfigMap runbooks beside the image’s own, where runbooks/files.ts looks', () => {
    const all = rendered.get('every evidence source, Slack Socket Mode, runbooks') ?? [];
    for (const suffix of ['-worker', '-gateway']) {
      const mounts = (podOf(find(all, 'Deployment', suffix)).containers[0]?.volumeMounts ?? []).filter(
        (v) => v.name === 'runbooks',
      );
      expect(mounts.map((v) => v.mountPath)).toEqual([
        '/app/runbooks/dns-outage.yaml',
        '/app/runbooks/experiments/dns-drop.yaml',
      ]);
    }
    const cm = find(all, 'ConfigMap', '-runbooks') as Manifest & { data: Record<string, string> };
    expect(Object.keys(cm.data).sort()).toEqual(['experiment-dns-drop.yaml', 'runbook-dns-outage.yaml']);
  });

  it('writes a config file nightshift itself accepts', async () => {
    for (const name of ['defaults', 'every evidence source, Slack Socket Mode, runbooks']) {
      const cm = find(rendered.get(name) ?? [], 'ConfigMap', '-config') as Manifest & { data: Record<string, string> };
      const result = configSchema.safeParse(parse(cm.data['nightshift.yaml'] ?? ''));
      if (!result.success) throw new Error(JSON.stringify(result.error.issues));
      expect(result.data.faults.maxDuration).toBe('30m');
    }
  });
});
