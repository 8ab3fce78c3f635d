// The lab's own Node processes (node simulator, gateway, probe) and the
// nightshift processes it runs against the lab (control worker, node agents).
import { join } from 'node:path';
import { REPO_ROOT } from '../worker/base.ts';
import type { Component } from './component.ts';
import { HUBBLE_RELAY_ADDRESS, hubbleStandinSpawn, labEvidenceEnv } from './hubble/index.ts';
import { BPF_PIN_ROOT, type LabPaths } from './paths.ts';
import { NODES, PORTS, type LabNode } from './topology.ts';

const LAB_DIR = join(REPO_ROOT, 'lab');
const CLI = join(REPO_ROOT, 'cli', 'main.ts');

function nodeScript(
  name: string,
  args: string[],
  paths: LabPaths,
  dataDir: string,
  health: Component['health'],
  env: NodeJS.ProcessEnv = {},
): Component {
  return {
    name,
    spawn: {
      command: process.execPath,
      args,
      log: join(paths.logs, `${name}.log`),
      cwd: REPO_ROOT,
      env: { NIGHTSHIFT_DATA_DIR: dataDir, ...env },
    },
    health,
  };
}

export function simulatorComponent(paths: LabPaths, dataDir: string): Component {
  return nodeScript('node-simulator', [join(LAB_DIR, 'simulator', 'main.ts')], paths, dataDir, {
    kind: 'http',
    url: `http://127.0.0.1:${PORTS.simulator}/healthz`,
  });
}

export function gatewayComponent(paths: LabPaths, dataDir: string): Component {
  return nodeScript('lab-gateway', [join(LAB_DIR, 'gateway', 'main.ts')], paths, dataDir, {
    kind: 'http',
    url: `http://127.0.0.1:${PORTS.gatewayAdmin}/healthz`,
  });
}

export function probeComponent(paths: LabPaths, dataDir: string): Component {
  return nodeScript('probe', [join(LAB_DIR, 'probe', 'main.ts')], paths, dataDir, {
    kind: 'http',
    url: `http://127.0.0.1:${PORTS.probe}/healthz`,
  });
}

/** The policy agent (lab/policy/main.ts): enforces the cluster's network policies in the pods' datapath. */
export function policyComponent(paths: LabPaths, dataDir: string): Component {
  return nodeScript('policy-agent', [join(LAB_DIR, 'policy', 'main.ts')], paths, dataDir, {
    kind: 'http',
    url: `http://127.0.0.1:${PORTS.policy}/healthz`,
  });
}

/** The delay that can be put in front of CoreDNS (lab/dns-delay): idle until a delay is set. */
export function dnsDelayComponent(paths: LabPaths, dataDir: string): Component {
  return nodeScript('dns-delay', [join(LAB_DIR, 'dns-delay', 'main.ts')], paths, dataDir, {
    kind: 'http',
    url: `http://127.0.0.1:${PORTS.dnsDelayAdmin}/healthz`,
  });
}

/** Environment that points a nightshift process at the lab cluster and its Temporal. */
function nightshiftEnv(paths: LabPaths, temporalAddress: string): NodeJS.ProcessEnv {
  return { KUBECONFIG: paths.kubeconfig, TEMPORAL_ADDRESS: temporalAddress };
}

export function workerComponent(paths: LabPaths, dataDir: string, temporalAddress: string): Component {
  // The control worker gathers the lab's evidence: Hubble, etcd, DNS, probe.
  return nodeScript(
    'control-worker',
    [CLI, 'worker'],
    paths,
    dataDir,
    { kind: 'alive' },
    {
      ...nightshiftEnv(paths, temporalAddress),
      // Its KUBECONFIG: the chart's worker ServiceAccount (lab/chart.ts), not the admin's.
      ...labEvidenceEnv(dataDir),
      NIGHTSHIFT_METRICS_ADDRESS: `127.0.0.1:${PORTS.workerMetrics}`,
    },
  );
}

/** The Hubble Relay stand-in, fed by flow-tap programs on every pod interface. */
export function hubbleComponent(paths: LabPaths, dataDir: string): Component {
  const spawn = hubbleStandinSpawn(dataDir);
  const [host, port] = HUBBLE_RELAY_ADDRESS.split(':');
  return {
    name: 'hubble-relay',
    spawn: {
      ...spawn,
      log: join(paths.logs, 'hubble-relay.log'),
      cwd: REPO_ROOT,
      env: { ...spawn.env, KUBECONFIG: paths.kubeconfig },
    },
    health: { kind: 'tcp', host: host ?? '127.0.0.1', port: Number(port) },
  };
}

/** Where a lab node agent serves its Temporal metrics (one port per node: they share the host's network). */
export function agentMetricsAddress(node: LabNode): string {
  return `127.0.0.1:${PORTS.agentMetrics + NODES.findIndex((n) => n.name === node.name)}`;
}

export function agentComponent(node: LabNode, paths: LabPaths, dataDir: string, temporalAddress: string): Component {
  return nodeScript(
    `agent-${node.name}`,
    [CLI, 'agent'],
    paths,
    dataDir,
    { kind: 'alive' },
    {
      ...nightshiftEnv(paths, temporalAddress),
      NIGHTSHIFT_NODE_NAME: node.name,
      NIGHTSHIFT_METRICS_ADDRESS: agentMetricsAddress(node),
      NIGHTSHIFT_NODE_NETNS: node.netns,
      // bpf/paths.ts reads this: each lab agent pins under its own directory.
      NIGHTSHIFT_PIN_ROOT: join(BPF_PIN_ROOT, node.name),
    },
  );
}

/**
 * The Slack stand-in as a lab process of its own (`nightshift slack-standin`),
 * for nightshift run from its chart: its pods post to it through the host
 * relay with the token and signing secret of the chart's Slack Secret.
 */
export function standinComponent(
  paths: LabPaths,
  dataDir: string,
  standin: { port: number; token: string; signingSecret: string; gatewayPort: number; publicUrl: string },
): Component {
  return nodeScript(
    'slack-standin',
    [CLI, 'slack-standin'],
    paths,
    dataDir,
    { kind: 'http', url: `http://127.0.0.1:${standin.port}/` },
    {
      NIGHTSHIFT_STANDIN_HOST: '127.0.0.1',
      NIGHTSHIFT_STANDIN_PORT: String(standin.port),
      NIGHTSHIFT_STANDIN_TOKEN: standin.token,
      NIGHTSHIFT_STANDIN_SIGNING_SECRET: standin.signingSecret,
      NIGHTSHIFT_HTTP_PORT: String(standin.gatewayPort),
      NIGHTSHIFT_STANDIN_PUBLIC_URL: standin.publicUrl,
    },
  );
}
