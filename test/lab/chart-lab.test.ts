// `lab up`: nightshift runs in the lab from its own chart. Its
// worker, gateway and agents are pods of the node simulator (pod IPs, their
// processes in the pods' own mount namespaces; the agents in their nodes'
// network namespaces), and the lab's own control-worker and agent processes
// do not run. Through them, a real 3 AM episode end to end: a drop into the
// cart pods injected through the chart's agent pods, the rule fires,
// Alertmanager posts to the chart's gateway pod (made again first, with a
// new IP, and followed by the lab's ingress), the worker pod (in-cluster,
// as its ServiceAccount) gathers evidence and posts the diagnosis to the
// Slack stand-in's thread; the fault, aborted, is reverted by the agent pod;
// and `lab down` (useLab) leaves nothing behind.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { cartDrop } from '../../cli/index.ts';
import { HOST_IP, LAB_RELEASE, LAB_WORKER_SA, NODES, probeSummary, PROMETHEUS_URL } from '../../lab/index.ts';
import { auditLogPath } from '../../lab/control-plane/index.ts';
import { loadKubeConfig } from '../../lab/k8s.ts';
import { BPF_PIN_ROOT, labPaths } from '../../lab/paths.ts';
import { REPO_ROOT } from '../../worker/base.ts';
import { faultAbortSignal, faultLimits, statusQuery } from '../../workflows/index.ts';
import { until } from './helpers/lab.ts';
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const AGENT_NS = 'nightshift-agent';

function environ(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/** Who a process is, from /proc/<pid>/status: its uid and gid, groups, bounding set and no_new_privs. */
function creds(pid: number): { uid: string; gid: string; groups: string; capBnd: string; noNewPrivs: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  return {
    uid: field('Uid').split(/\s+/)[0] ?? '',
    gid: field('Gid').split(/\s+/)[0] ?? '',
    groups: field('Groups'),
    capBnd: field('CapBnd'),
    noNewPrivs: field('NoNewPrivs'),
  };
}
/** Capability bits (linux/capability.h) of the ones the chart names. */
const CAP_BITS: Record<string, number> = { net_admin: 12, sys_ptrace: 19, sys_admin: 21, perfmon: 38, bpf: 39 };
const capMask = (caps: string[]) =>
  caps
    .reduce((mask, c) => mask | (1n << BigInt(CAP_BITS[c] ?? 63)), 0n)
    .toString(16)
    .padStart(16, '0');

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const nsInode = (pid: number | 'self', ns: 'mnt' | 'net') => statSync(`/proc/${pid}/ns/${ns}`).ino;
const pidOf = (pod: V1Pod) =>
  Number(/^lab:\/\/(\d+)$/.exec(pod.status?.containerStatuses?.[0]?.containerID ?? '')?.[1]);

interface StandinMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  metadata?: { event_payload: { key?: string } };
}

describe('lab up: nightshift runs from its chart, as pods', () => {
  const lab = useLab();
  let core: CoreV1Api;
  let client: Client;
  let faultId = '';
  const component = (pods: V1Pod[], name: string) =>
    pods.filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === name);

  beforeAll(async () => {
    core = loadKubeConfig((await lab.status()).kubeconfig).makeApiClient(CoreV1Api);
    client = new Client({ connection: await Connection.connect({ address: lab.config.temporal.address }) });
  });

  afterAll(async () => {
    if (faultId) {
      await client?.workflow
        .getHandle(faultId)
        .signal(faultAbortSignal, { reason: 'test over' })
        .catch(() => undefined);
    }
    await client?.connection.close();
  });

  test("the worker, gateway and agents run as pods; the lab's own worker and agents do not", async () => {
    const status = await lab.status();
    const names = status.processes.map((p) => p.name);
    expect(names.filter((n) => n === 'control-worker' || n.startsWith('agent-'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['host-relay', 'slack-standin', 'hubble-relay', 'probe']));

    const release = (await core.listNamespacedPod({ namespace: LAB_RELEASE.namespace })).items;
    const agents = (await core.listNamespacedPod({ namespace: AGENT_NS })).items;
    for (const [name, pod, args] of [
      ['worker', component(release, 'worker')[0], 'worker'],
      ['gateway', component(release, 'gateway')[0], 'gateway'],
    ] as const) {
      expect([name, pod?.status?.phase]).toEqual([name, 'Running']);
      const ip = pod?.status?.podIP ?? '';
      expect([name, ip]).toEqual([name, expect.stringMatching(/^10\.244\.\d+\.\d+$/)]);
      const pid = pidOf(pod as V1Pod);
      lab.seen(undefined, pid);
      // nightshift itself (bin/nightshift <args>) in a mount namespace of the pod's, in the pod's network.
      expect(cmdline(pid)).toEqual(expect.arrayContaining([args]));
      expect(cmdline(pid).some((a) => a.endsWith('cli/main.ts') || a.endsWith('bin/nightshift'))).toBe(true);
      expect(nsInode(pid, 'mnt')).not.toBe(nsInode('self', 'mnt'));
      // As the chart's securityContext says: its non-root user, no capabilities, no_new_privs, read-only root.
      expect([name, creds(pid)]).toEqual([
        name,
        { uid: '10001', gid: '10001', groups: '10001', capBnd: '0000000000000000', noNewPrivs: '1' },
      ]);
      for (const path of [join(REPO_ROOT, '.lab-probe'), '/etc/.lab-probe', '/var/.lab-probe']) {
        // The image (here the checkout and the host's dirs) and the dirs the lab mimics to mount volumes in.
        const write = await exec('nsenter', ['-t', String(pid), '-m', '--', 'touch', path]).then(
          () => 'written',
          (err: { stderr?: string }) => String(err.stderr),
        );
        expect([path, write]).toEqual([path, expect.stringMatching(/Read-only file system/)]);
      }
      const netns = pod?.metadata?.annotations?.['nightshift.dev/netns'] ?? '';
      expect(nsInode(pid, 'net')).toBe(statSync(`/run/netns/${netns}`).ino);
    }
    expect(agents.map((p) => p.spec?.nodeName).sort()).toEqual(NODES.map((n) => n.name));
    for (const pod of agents) {
      const node = NODES.find((n) => n.name === pod.spec?.nodeName);
      if (!node) throw new Error(`agent pod on unknown node ${pod.spec?.nodeName}`);
      expect(pod.status?.podIP).toBe(node.ip);
      const pid = pidOf(pod);
      lab.seen(undefined, pid);
      expect(cmdline(pid)).toEqual(expect.arrayContaining(['agent']));
      expect(nsInode(pid, 'net')).toBe(statSync(`/run/netns/${node.netns}`).ino);
      expect(nsInode(pid, 'mnt')).not.toBe(nsInode('self', 'mnt'));
      // Root, with only the capabilities the chart adds (the lab turns enterPodNamespaces on).
      expect(creds(pid)).toMatchObject({
        uid: '0',
        capBnd: capMask(['bpf', 'perfmon', 'net_admin', 'sys_admin', 'sys_ptrace']),
        noNewPrivs: '1',
      });
      expect(environ(pid)).toMatchObject({
        NIGHTSHIFT_NODE_NAME: node.name,
        NIGHTSHIFT_PIN_ROOT: join(BPF_PIN_ROOT, node.name),
        TEMPORAL_ADDRESS: expect.stringMatching(new RegExp(`^${HOST_IP.replace(/\./g, '\\.')}:`)),
      });
    }

    // Prometheus scrapes them where they are: the pods' IPs, the agents' nodes.
    await until('nightshift targets up in Prometheus', 90_000, async () => {
      const res = await fetch(`${PROMETHEUS_URL}/api/v1/targets?state=active`);
      const body = (await res.json()) as {
        data: { activeTargets: { labels: Record<string, string>; health: string }[] };
      };
      const up = (job: string) =>
        body.data.activeTargets.filter((t) => t.labels.job === job && t.health === 'up').length;
      return up('nightshift-gateway') === 1 && up('nightshift-worker') === 1 && up('nightshift-agent') === 3
        ? true
        : undefined;
    });
  }, 180_000);

  test("the worker talks to the API server in-cluster, as the chart's worker ServiceAccount", async () => {
    const [pod] = component((await core.listNamespacedPod({ namespace: LAB_RELEASE.namespace })).items, 'worker');
    const pid = pidOf(pod as V1Pod);
    const env = environ(pid);
    expect(env.KUBECONFIG).toBeUndefined();
    expect(env).toMatchObject({ KUBERNETES_SERVICE_HOST: HOST_IP, KUBERNETES_SERVICE_PORT: '6443' });
    const { stdout: token } = await exec('nsenter', ['-t', String(pid), '-m', '--', 'cat', `${SA_DIR}/token`]);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string };
    const worker = `system:serviceaccount:${LAB_RELEASE.namespace}:${LAB_WORKER_SA}`;
    expect(claims.sub).toBe(worker);

    // The API server's audit log (nightshift's ServiceAccounts only): the worker's requests, from its pod's IP,
    // and no other nightshift identity acting (the gateway and agents hold no token).
    const events = await until("the worker's requests in the audit log", 60_000, async () => {
      const text = readFileSync(auditLogPath(labPaths(lab.config.dataDir)), 'utf8');
      const all = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { user: { username: string }; sourceIPs?: string[]; verb: string });
      return all.length > 0 ? all : undefined;
    });
    expect([...new Set(events.map((e) => e.user.username))]).toEqual([worker]);
    expect([...new Set(events.flatMap((e) => e.sourceIPs ?? []))]).toEqual([pod?.status?.podIP]);
  });

  test('a gateway pod made again, with a new IP, is reached through the ingress at once', async () => {
    const gateways = () =>
      core
        .listNamespacedPod({ namespace: LAB_RELEASE.namespace })
        .then((list) => component(list.items, 'gateway').filter((p) => !p.metadata?.deletionTimestamp));
    const [old] = await gateways();
    await core.deleteNamespacedPod({ name: old?.metadata?.name ?? '', namespace: LAB_RELEASE.namespace });
    const fresh = await until('a new gateway pod, ready', 90_000, async () => {
      const pod = (await gateways()).find(
        (p) =>
          p.metadata?.name !== old?.metadata?.name &&
          (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return pod;
    });
    lab.seen(undefined, pidOf(fresh));
    expect(fresh.status?.podIP).not.toBe(old?.status?.podIP);
    // The ingress reaches the new pod (the old one is gone): the gateway answers its readiness check there.
    const ready = await until('the gateway ready through the ingress', 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${lab.config.http.port}/readyz`).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    });
    expect(ready.status).toBe(200);
  }, 120_000);

  test("a drop injected through the agent pods becomes a diagnosis in the Slack thread, through the chart's gateway and worker; the fault is reverted", async () => {
    await until('checkout healthy', 60_000, async () => {
      const s = await probeSummary(5);
      return s.requests > 20 && s.successRate >= 0.99 ? true : undefined;
    });
    const t0 = new Date();
    faultId = `chart-lab-${t0.getTime()}`;
    await client.workflow.start('faultWorkflow', {
      taskQueue: lab.config.temporal.taskQueue,
      workflowId: faultId,
      args: [
        { spec: cartDrop('5m'), limits: faultLimits(lab.config.faults), requestedBy: { id: 'jest', via: 'test' } },
      ],
    });
    // The agent pods pin under their node's dir (their NIGHTSHIFT_PIN_ROOT), on the nodes of the cart pods.
    const cartNodes = new Set(
      (await core.listNamespacedPod({ namespace: 'production', labelSelector: 'app=cart-service-v1' })).items.map(
        (p) => p.spec?.nodeName ?? '',
      ),
    );
    const pinned = await until('the fault pinned by the agent pods', 60_000, async () => {
      const dirs = [...cartNodes].map((n) => join(BPF_PIN_ROOT, n, faultId));
      return dirs.every((d) => existsSync(d)) ? dirs : undefined;
    });
    expect(pinned.length).toBeGreaterThan(0);
    await until('checkout failing', 60_000, async () => ((await probeSummary(3)).successRate < 0.5 ? true : undefined));

    // Prometheus fires, Alertmanager posts to the gateway pod, the intake starts a run.
    const runId = await until('an alert-started run', 150_000, async () => {
      for await (const w of client.workflow.list({ query: 'WorkflowId STARTS_WITH "alert-"' }))
        if (w.startTime >= t0) return w.workflowId;
      return undefined;
    });
    const handle = client.workflow.getHandle(runId);
    expect((await handle.describe()).memo).toMatchObject({ runbook: 'traffic-vanish', requestedBy: 'alertmanager' });
    const diagnosed = await until('the diagnosis', 180_000, async () => {
      const s = await handle.query(statusQuery);
      return s.diagnosis ? s : undefined;
    });
    expect(diagnosed.diagnosis?.hypotheses[0]?.id).toBe('pod-to-pod-drop');

    // The worker pod posted it to the stand-in's thread.
    const message = await until('the diagnosis in the Slack thread', 60_000, async () => {
      const state = (await (await fetch(`http://127.0.0.1:${lab.config.slack.standin.port}/_state`)).json()) as {
        messages: StandinMessage[];
      };
      return state.messages.find((m) => {
        const key = m.metadata?.event_payload.key ?? '';
        return key.includes(runId) && key.endsWith('#diagnosis');
      });
    });
    expect(message.channel).toBe('C0INCIDENTS');
    // A reply in the run's thread.
    expect(message.thread_ts).toEqual(expect.any(String));
    expect(JSON.stringify(message.blocks)).toContain('`pod-to-pod-drop`');

    // Aborted, the fault is taken off by the agent pods: pins gone, checkout back.
    await client.workflow.getHandle(faultId).signal(faultAbortSignal, { reason: 'diagnosed' });
    await until('the fault reverted', 60_000, async () => (pinned.some((d) => existsSync(d)) ? undefined : true));
    await until('checkout back', 60_000, async () => ((await probeSummary(3)).successRate >= 0.99 ? true : undefined));
  }, 600_000);
});
