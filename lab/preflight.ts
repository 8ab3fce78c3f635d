// What `lab up` needs before it touches anything: root, the kernel features
// the lab's network is made of (tried for real in a throw-away namespace),
// the server binaries, and its local ports. Every missing piece is named in
// one error, with what to do about it.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { findTool } from '../worker/base.ts';
import { LabError, run } from './sh.ts';
import { NETNS_PREFIX, PORTS } from './topology.ts';

/** Go-built binaries the lab runs (kubectl applies the CRDs, helm renders nightshift's chart). */
export const SERVER_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'coredns',
  'kubectl',
  'helm',
] as const;
const SYSTEM_TOOLS = ['ip', 'tc', 'openssl'] as const;

const PROBE_NS = `${NETNS_PREFIX}preflight`;

/** A kernel feature, and the commands (in the probe namespace) that fail without it. */
export interface KernelFeature {
  id: string;
  name: string;
  commands: string[][];
}

export const REQUIRED_FEATURES: KernelFeature[] = [
  {
    id: 'veth',
    name: 'veth links (CONFIG_VETH, module veth)',
    commands: [['ip', '-n', PROBE_NS, 'link', 'add', 'pf0', 'type', 'veth', 'peer', 'name', 'pf1']],
  },
  {
    id: 'bridge',
    name: 'Linux bridges (CONFIG_BRIDGE, module bridge)',
    commands: [['ip', '-n', PROBE_NS, 'link', 'add', 'pfbr', 'type', 'bridge']],
  },
  {
    id: 'clsact',
    name: 'tc clsact qdisc for eBPF programs (CONFIG_NET_SCH_INGRESS, module sch_ingress)',
    commands: [['tc', '-n', PROBE_NS, 'qdisc', 'add', 'dev', 'pf0', 'clsact']],
  },
];

/** Features the lab runs without, but some faults need; `lab up --require <id>` makes them fatal. */
export const OPTIONAL_FEATURES: KernelFeature[] = [
  {
    id: 'fq',
    name: 'fq qdisc (CONFIG_NET_SCH_FQ, module sch_fq), needed for latency faults',
    commands: [['tc', '-n', PROBE_NS, 'qdisc', 'add', 'dev', 'pf1', 'root', 'fq']],
  },
];

export interface PreflightOptions {
  /** Optional feature ids that must be present this time. */
  require?: readonly string[];
  /** Also check for the Temporal CLI (the lab starts the dev server). */
  needTemporal?: boolean;
  /** Extra 127.0.0.1 ports that must be free. */
  ports?: readonly number[];
}

export interface PreflightResult {
  missingOptional: string[];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function tryFeature(feature: KernelFeature): Promise<boolean> {
  for (const [cmd, ...args] of feature.commands) {
    try {
      await run(cmd as string, args);
    } catch {
      return false;
    }
  }
  return true;
}

async function probeKernel(features: KernelFeature[]): Promise<Map<string, boolean>> {
  const found = new Map<string, boolean>();
  await run('ip', ['netns', 'del', PROBE_NS]).catch(() => undefined);
  await run('ip', ['netns', 'add', PROBE_NS]);
  try {
    // In order: later probes use the links earlier ones made.
    for (const feature of features) found.set(feature.id, await tryFeature(feature));
  } finally {
    await run('ip', ['netns', 'del', PROBE_NS]).catch(() => undefined);
  }
  return found;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'the lab needs root: it creates network namespaces, veth links and bridges (run `sudo nightshift lab up`)',
    );
  }
}

export async function preflight(options: PreflightOptions = {}): Promise<PreflightResult> {
  requireRoot();
  const missing: string[] = [];
  for (const tool of SYSTEM_TOOLS) {
    if (!findTool(tool)) missing.push(`${tool} (install iproute2 / openssl)`);
  }
  for (const bin of [...SERVER_BINARIES, ...(options.needTemporal ? ['temporal'] : [])]) {
    if (!findTool(bin)) missing.push(`${bin} binary (build it with scripts/build-servers.sh)`);
  }
  if (!existsSync('/proc/self/ns/net')) missing.push('network namespaces (CONFIG_NET_NS)');
  if (!/\bbpf$/m.test(readFileSync('/proc/filesystems', 'utf8'))) missing.push('bpffs (CONFIG_BPF_SYSCALL)');
  if (missing.length > 0) throw new LabError(`cannot start the lab, missing:\n  - ${missing.join('\n  - ')}`);

  const unknown = (options.require ?? []).filter((id) => !OPTIONAL_FEATURES.some((f) => f.id === id));
  if (unknown.length > 0) {
    throw new LabError(
      `unknown feature ${unknown.join(', ')}; known: ${OPTIONAL_FEATURES.map((f) => f.id).join(', ')}`,
    );
  }
  const features = [...REQUIRED_FEATURES, ...OPTIONAL_FEATURES];
  const found = await probeKernel(features);
  const required = new Set([...REQUIRED_FEATURES.map((f) => f.id), ...(options.require ?? [])]);
  for (const feature of features) {
    if (!found.get(feature.id) && required.has(feature.id)) missing.push(`kernel feature: ${feature.name}`);
  }
  const ports = [PORTS.probe, PORTS.gatewayAdmin, PORTS.simulator, PORTS.controllerManager, ...(options.ports ?? [])];
  for (const port of ports) {
    if (!(await portFree(port))) missing.push(`free port 127.0.0.1:${port} (something else listens there)`);
  }
  if (missing.length > 0) throw new LabError(`cannot start the lab, missing:\n  - ${missing.join('\n  - ')}`);
  return { missingOptional: OPTIONAL_FEATURES.filter((f) => !found.get(f.id)).map((f) => f.name) };
}
