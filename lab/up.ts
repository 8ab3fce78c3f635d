// `lab up`: the whole lab in order — network, certificates, etcd, API server,
// controller manager, CoreDNS, node simulator, CRDs and the shop, nightshift's
// ServiceAccounts and RBAC from its chart, gateway, probe, Prometheus and
// Alertmanager, then Temporal's worker (with the chart's worker token) and node agents. Every step is recorded as it
// happens; if any step fails the lab is torn down and the error names the step
// (with the failing process's log). A lab that is already up is left alone.
// By default nightshift itself comes from its chart: the worker, gateway and
// agents run as pods (lab/chart-lab.ts), and the lab starts the host relay,
// the Slack stand-in and the ingress to the gateway for them. With
// `chart: false` (`lab up --no-chart`) the lab runs its own worker and agent
// processes instead, with the chart's permissions only.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../worker/base.ts';
import { findTool } from '../worker/base.ts';
import { applyLab } from './apply.ts';
import { installChartPermissions, LAB_RELEASE } from './chart.ts';
import { LAB_AGENT_NAMESPACE } from './chart-pods.ts';
import { startChartLab, type ChartLab } from './chart-lab.ts';
import { ensureBpffs, BPFFS } from './bpffs.ts';
import { launch, type Component } from './component.ts';
import {
  apiserverComponent,
  controllerManagerComponent,
  corednsComponent,
  etcdComponent,
} from './control-plane/index.ts';
import { labDown } from './down.ts';
import { waitFor, waitHealthy } from './health.ts';
import { loadKubeConfig } from './k8s.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { createTopology } from './fabric.ts';
import { alertmanagerComponent, prometheusComponent, writeAlertToken } from './observability/index.ts';
import { labPaths, type LabPaths } from './paths.ts';
import { createPki } from './pki.ts';
import { preflight, requireRoot } from './preflight.ts';
import { probeSummary } from './probe/index.ts';
import { isAlive } from './procs.ts';
import { waitDeploymentsAvailable } from './rollout.ts';
import {
  agentComponent,
  dnsDelayComponent,
  gatewayComponent,
  hubbleComponent,
  policyComponent,
  probeComponent,
  simulatorComponent,
  workerComponent,
} from './services.ts';
import { LabError, run } from './sh.ts';
import { readState, StateRecorder, type ProcessRecord } from './state.ts';
import { planTemporal } from './temporal.ts';
import { ETCD_MEMBERS, HOST_LINK_PREFIX, NETNS_PREFIX, NODES } from './topology.ts';

export interface LabUpOptions {
  config: Config;
  /** Optional kernel features (`fq`) that must be present. */
  require?: readonly string[];
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /** Run nightshift from its chart, as pods (default), or as the lab's own worker and agent processes (false). */
  chart?: boolean;
}

export interface LabUpResult {
  alreadyUp: boolean;
  /** nightshift runs from its chart, as pods. */
  chart: boolean;
  seconds: number;
  kubeconfig: string;
  notes: string[];
  missingOptional: string[];
}

function bin(name: string): string {
  const path = findTool(name);
  if (!path) throw new LabError(`${name} binary not found (build it with scripts/build-servers.sh)`);
  return path;
}

/** Another lab's network (another data dir, or a crash before any state was written). */
async function foreignLab(): Promise<string | undefined> {
  const netns = (await run('ip', ['netns', 'list']).catch(() => '')).split('\n').map((l) => l.split(' ')[0] ?? '');
  const links = (await run('ip', ['-o', 'link', 'show']).catch(() => ''))
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '');
  return netns.find((n) => n.startsWith(NETNS_PREFIX)) ?? links.find((l) => l.startsWith(HOST_LINK_PREFIX));
}

export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  const started = Date.now();
  const dataDir = resolve(options.config.dataDir);
  const paths = labPaths(dataDir);
  const say = options.progress ?? (() => undefined);
  requireRoot();

  const chart = options.chart ?? true;
  let existing;
  try {
    existing = readState(paths.state);
  } catch {
    existing = undefined;
  }
  if (existing?.phase === 'up' && existing.processes.every((p) => isAlive(p.pid, p.startTime))) {
    if (existing.chart !== chart)
      throw new LabError(
        `the lab in ${paths.root} is up ${existing.chart ? "with nightshift's chart" : "without nightshift's chart (--no-chart)"}; ` +
          `run \`nightshift lab down\` first to bring it up ${chart ? 'with the chart' : 'with --no-chart'}`,
      );
    return {
      alreadyUp: true,
      chart,
      seconds: 0,
      kubeconfig: paths.kubeconfig,
      notes: existing.notes,
      missingOptional: existing.missingOptional,
    };
  }
  if (existing) {
    say(
      `a lab in ${paths.root} is ${existing.phase === 'up' ? 'partly dead' : `stuck in phase ${existing.phase}`}; removing it first`,
    );
    await labDown(dataDir);
  }
  const other = await foreignLab();
  if (other) {
    throw new LabError(`another lab seems to be running (${other} exists); run \`nightshift lab down\` first`);
  }

  const temporal = await planTemporal(options.config.temporal.address, options.config.temporal.uiPort, paths);
  const { missingOptional } = await preflight({
    ...(options.require ? { require: options.require } : {}),
    needTemporal: temporal.component !== undefined,
  });
  mkdirSync(paths.logs, { recursive: true });
  const recorder = new StateRecorder(paths.state, {
    version: 1,
    phase: 'starting',
    startedAt: new Date().toISOString(),
    dataDir,
    temporal: { address: temporal.address, startedByLab: temporal.component !== undefined },
    chart,
    processes: [],
    netns: [],
    links: [],
    mounts: [],
    missingOptional,
    notes: [],
    steps: [],
  });
  try {
    await bringUp({
      paths,
      dataDir,
      recorder,
      temporal,
      config: options.config,
      say,
      started,
      chart,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    say(`lab up failed; tearing down what was started`);
    await labDown(dataDir).catch((downErr: unknown) => say(`teardown also failed: ${(downErr as Error).message}`));
    throw err;
  }
  return {
    alreadyUp: false,
    chart,
    seconds: (Date.now() - started) / 1000,
    kubeconfig: paths.kubeconfig,
    notes: recorder.state.notes,
    missingOptional,
  };
}

interface UpContext {
  paths: LabPaths;
  dataDir: string;
  recorder: StateRecorder;
  temporal: Awaited<ReturnType<typeof planTemporal>>;
  config: Config;
  say: (line: string) => void;
  started: number;
  chart: boolean;
  signal?: AbortSignal;
}

async function bringUp(ctx: UpContext): Promise<void> {
  const { paths, dataDir, recorder, say } = ctx;
  let stepStart = Date.now();
  const step = (name: string) => {
    if (ctx.signal?.aborted) throw new LabError('lab up interrupted');
    const now = Date.now();
    recorder.update((s) => s.steps.push({ step: name, seconds: (now - stepStart) / 1000 }));
    say(`${name} (${((now - ctx.started) / 1000).toFixed(1)} s)`);
    stepStart = now;
  };
  const start = (c: Component) => launch(c, recorder, paths);
  const healthy = (procs: ProcessRecord[], timeoutMs: number) =>
    Promise.all(procs.map((p) => waitHealthy(p, timeoutMs)));

  if (await ensureBpffs()) recorder.update((s) => s.mounts.push(BPFFS));
  const [, pki] = await Promise.all([createTopology(recorder), createPki(paths.pki)]);
  writeKubeconfig(paths.kubeconfig, pki.caCert, pki.adminCert, pki.adminKey, 'nightshift-lab-admin');
  writeKubeconfig(
    paths.controllerManagerKubeconfig,
    pki.caCert,
    pki.controllerManagerCert,
    pki.controllerManagerKey,
    'kube-controller-manager',
  );
  step('network namespaces, links and certificates ready');

  const temporalProc = ctx.temporal.component ? await start(ctx.temporal.component) : undefined;
  const etcd = await Promise.all(ETCD_MEMBERS.map((m) => start(etcdComponent(m, paths, bin('etcd')))));
  await healthy(etcd, 30_000);
  step('etcd cluster healthy (3 members)');

  const apiserver = await start(apiserverComponent(paths, pki, bin('kube-apiserver'), { audit: ctx.chart }));
  await healthy([apiserver], 60_000);
  step('kube-apiserver ready');

  const kc = loadKubeConfig(paths.kubeconfig);
  const chart: ChartLab | undefined = ctx.chart
    ? await startChartLab({
        kc,
        paths,
        dataDir,
        config: ctx.config,
        caCert: pki.caCert,
        start,
        healthy,
        temporal: temporalProc,
      })
    : undefined;
  const controlPlane = await Promise.all([
    start(controllerManagerComponent(paths, pki, paths.controllerManagerKubeconfig, bin('kube-controller-manager'))),
    start(corednsComponent(paths, bin('coredns'))),
    start(simulatorComponent(paths, dataDir)),
    start(policyComponent(paths, dataDir)),
    start(gatewayComponent(paths, dataDir)),
    start(probeComponent(paths, dataDir)),
    start(dnsDelayComponent(paths, dataDir)),
  ]);
  await Promise.all([
    applyLab(kc, paths.kubeconfig),
    chart ? chart.install() : installChartPermissions(kc, paths, pki.caCert),
  ]);
  step(
    chart
      ? 'CRDs, shop, route and policy applied; nightshift installed from its chart'
      : "CRDs, shop, route and policy applied; nightshift's ServiceAccounts and RBAC from its chart",
  );
  await healthy(controlPlane, 30_000);
  step('controller manager, CoreDNS, node simulator, policy agent, gateway, probe and DNS delay healthy');
  const hubble = await start(hubbleComponent(paths, dataDir));

  await waitDeploymentsAvailable(kc, 60_000);
  step('shop deployments available');

  await waitFor('the probe to see a second of successful checkouts', 30_000, async () => {
    const s = await probeSummary(1);
    return s.requests > 0 && s.failures === 0 ? true : undefined;
  });
  step('probe sees the shop answering');
  await healthy([hubble], 30_000);
  step('Hubble Relay stand-in serving flows');

  const pods = chart ? await chart.running() : undefined;
  if (pods) step(`nightshift's chart running: worker, gateway and ${pods.agents} agent pods`);

  const gatewayPort = ctx.config.http.port;
  const tokenFile = chart?.tokenFile ?? writeAlertToken(paths, ctx.config.alerts.bearerToken);
  const webhook = pods ? pods.webhook : `http://127.0.0.1:${gatewayPort}/webhooks/alertmanager`;
  const monitoring = await Promise.all([
    start(
      prometheusComponent(
        paths,
        pki,
        {
          gatewayPort,
          ...(pods ? { chart: { namespace: LAB_RELEASE.namespace, agentNamespace: LAB_AGENT_NAMESPACE } } : {}),
        },
        bin('prometheus'),
      ),
    ),
    start(alertmanagerComponent(paths, { url: webhook, tokenFile }, bin('alertmanager'))),
  ]);
  await healthy(monitoring, 30_000);
  step('Prometheus and Alertmanager ready');

  if (!chart) {
    if (temporalProc) await healthy([temporalProc], 60_000);
    await start(workerComponent(paths, dataDir, ctx.temporal.address));
    await Promise.all(NODES.map((node) => start(agentComponent(node, paths, dataDir, ctx.temporal.address))));
    step('Temporal, control worker and node agents started');
  } else recorder.update((s) => s.notes.push(...chart.notes));
  recorder.update((s) => {
    s.phase = 'up';
    s.upAt = new Date().toISOString();
  });
}
