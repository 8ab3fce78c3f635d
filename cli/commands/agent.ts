// `nightshift agent`: the node agent, until SIGINT/SIGTERM; SIGUSR1 pulls its
// kill switch (every fault on the node removed, injects refused until it is
// restarted). `nightshift agent stop-all` does the same from outside, with
// the kernel alone: it works with Temporal and the agent both down.
// `nightshift agent check` says whether this host or container can run the
// agent's fault activities: the kernel probe plus the process's capabilities.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { stopAllLocal } from '../../activities/index.ts';
import { probeCapabilities, type Capabilities } from '../../bpf/index.ts';
import { parseDuration } from '../../model/index.ts';
import { loadConfig, createLogger, startNodeAgent } from '../../worker/index.ts';
import { jsonFlag, parse, printJson, UsageError, type Command, type Io } from '../command.ts';

const flags = z.object({
  node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a node name'),
  'node-netns': z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a namespace name')
    .optional(),
  'reconcile-every': z.string().refine((v) => (parseDuration(v) ?? 0) >= 1000, 'expected a duration of 1s or more'),
  'attach-mode': z.enum(['tcx', 'tc']).optional(),
  'stop-faults-on-exit': z.boolean(),
});

/** `nightshift agent stop-all`: remove every nightshift attachment on this node, no Temporal needed. */
async function stopAll(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    node: { type: 'string', default: process.env.NIGHTSHIFT_NODE_NAME || hostname() },
    ...jsonFlag,
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const result = await stopAllLocal(values.node);
  if (values.json) printJson(io, result);
  else {
    const count = result.reverted.reduce((n, r) => n + r.attachments.filter((a) => a.state !== 'absent').length, 0);
    io.out(`node ${values.node}: removed ${count} attachment(s) of ${result.reverted.length} fault(s)`);
    for (const r of result.reverted) io.out(`  ${r.message}`);
  }
  return 0;
}

/**
 * The capabilities the agent's work needs, by bit number (linux/capability.h),
 * and what each is for. `required` ones gate `agent check`'s exit code;
 * CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON (they were split from it).
 */
const CAPABILITIES = [
  { name: 'CAP_BPF', bit: 39, required: true, use: 'load the fault program and pin it' },
  { name: 'CAP_NET_ADMIN', bit: 12, required: true, use: 'attach tc/tcx programs, add qdiscs and the probe veth' },
  {
    name: 'CAP_PERFMON',
    bit: 38,
    required: true,
    // The verifier: "R9 has pointer with unsupported alu operation, pointer
    // arithmetic with it prohibited for !root" (the IPv4 header-length step).
    use: "pass the verifier: the fault program's packet-pointer arithmetic is refused without it",
  },
  { name: 'CAP_SYS_ADMIN', bit: 21, required: false, use: 'setns into pod network namespaces; mount bpffs' },
  { name: 'CAP_SYS_PTRACE', bit: 19, required: false, use: "read other processes' /proc/<pid>/ns/net" },
] as const;

/** Capabilities CAP_SYS_ADMIN also grants. */
const COVERED_BY_SYS_ADMIN = new Set<string>(['CAP_BPF', 'CAP_PERFMON']);

/** The effective capability set of this process, from /proc/self/status (CapEff, hex). */
function effectiveCapabilities(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) throw new Error('no CapEff line in /proc/self/status');
  return BigInt(`0x${hex}`);
}

interface CheckResult extends Capabilities {
  node: string;
  capabilities: Record<string, boolean>;
  missingCapabilities: string[];
  /** Inject and revert faults: the required capabilities, and the kernel attaches somehow. */
  canRunFaults: boolean;
  /** The vantage activities and pod-side attachment: SYS_ADMIN and SYS_PTRACE. */
  canEnterPodNamespaces: boolean;
}

async function agentCheck(node: string, netns?: string): Promise<CheckResult> {
  const eff = effectiveCapabilities();
  const has = (bit: number) => (eff & (1n << BigInt(bit))) !== 0n;
  const capabilities = Object.fromEntries(CAPABILITIES.map((c) => [c.name, has(c.bit)]));
  const missingCapabilities = CAPABILITIES.filter((c) => !has(c.bit)).map((c) => c.name);
  // Without CAP_BPF or CAP_PERFMON but with CAP_SYS_ADMIN the probe's load
  // decides; the missing one is still named.
  const missingRequired = CAPABILITIES.filter((c) => c.required && !has(c.bit));
  const blocking = missingRequired.filter((c) => !(COVERED_BY_SYS_ADMIN.has(c.name) && capabilities.CAP_SYS_ADMIN));
  const probe = await probeCapabilities(netns);
  // A container runtime's seccomp profile may allow bpf() only with CAP_SYS_ADMIN: EPERM despite CAP_BPF.
  const seccomp =
    !probe.load && capabilities.CAP_BPF && !capabilities.CAP_SYS_ADMIN && /not permitted/i.test(probe.problems.join())
      ? ['bpf() was refused with CAP_BPF present: the seccomp profile may allow bpf() only with CAP_SYS_ADMIN']
      : [];
  const problems = [
    ...(missingRequired.length ? [`missing capabilities: ${missingRequired.map((c) => c.name).join(', ')}`] : []),
    ...missingRequired.map((c) => `without ${c.name} the agent cannot ${c.use}`),
    ...probe.problems,
    ...seccomp,
  ];
  return {
    node,
    ...probe,
    problems,
    capabilities,
    missingCapabilities,
    canRunFaults: blocking.length === 0 && probe.attachMode !== 'none',
    canEnterPodNamespaces: Boolean(capabilities.CAP_SYS_ADMIN && capabilities.CAP_SYS_PTRACE),
  };
}

function printCheck(io: Io, r: CheckResult): void {
  const mark = (ok: boolean) => (ok ? 'ok     ' : 'MISSING');
  io.out(`node ${r.node}, kernel ${r.kernel}, uid ${process.getuid?.() ?? '?'}`);
  io.out(`  ${mark(r.btf)}  kernel BTF (/sys/kernel/btf/vmlinux)`);
  io.out(`  ${mark(r.bpffs)}  bpffs mounted at /sys/fs/bpf`);
  io.out(`  ${mark(r.load)}  the fault program loads`);
  io.out(`  ${mark(r.tcx)}  tcx links (Linux 6.6+)`);
  io.out(`  ${mark(r.clsact)}  clsact qdisc (legacy tc filters)`);
  io.out(`  ${mark(r.fq)}  sch_fq (latency faults)`);
  for (const c of CAPABILITIES) {
    const tag = c.required ? 'required' : 'pod namespaces';
    io.out(`  ${mark(r.capabilities[c.name] ?? false)}  ${c.name.padEnd(15)}${tag}: ${c.use}`);
  }
  if (r.canRunFaults) {
    io.out(`faults attach here with ${r.attachMode === 'tcx' ? 'tcx links' : 'legacy tc filters'}`);
    if (!r.fq) io.out('latency faults are refused here (no sch_fq); drop faults work');
    if (!r.canEnterPodNamespaces) {
      io.out('pod namespaces cannot be entered (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE): vantage activities fail');
    }
  } else {
    io.err(`nightshift agent check: the agent cannot run its fault activities here: ${r.problems.join('; ')}`);
  }
}

/** `nightshift agent check`: what this host or container can do; exit 1 when faults cannot run. */
async function check(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    node: { type: 'string', default: process.env.NIGHTSHIFT_NODE_NAME || hostname() },
    'node-netns': {
      type: 'string',
      ...(process.env.NIGHTSHIFT_NODE_NETNS ? { default: process.env.NIGHTSHIFT_NODE_NETNS } : {}),
    },
    ...jsonFlag,
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const result = await agentCheck(values.node, values['node-netns']);
  if (values.json) printJson(io, result);
  else printCheck(io, result);
  return result.canRunFaults ? 0 : 1;
}

export const agentCommand: Command = {
  summary:
    "run the node agent: fault activities and measurements from this node's pods and the node itself (DNS, TCP connects) on nightshift-node-<node>, plus the reconciler",
  usage:
    'usage: nightshift agent [--node <name>] [--node-netns <netns>] [--reconcile-every 30s] [--attach-mode tcx|tc]\n' +
    '                        [--stop-faults-on-exit]   # SIGTERM/SIGINT remove every fault on the node before the agent exits\n' +
    '       nightshift agent stop-all [--node <name>] [--json]   # the local kill switch: no Temporal needed\n' +
    '       nightshift agent check [--node-netns <netns>] [--json]\n' +
    '         # can this host/container run the fault activities? kernel features (BTF, bpffs, tcx or tc,\n' +
    '         # sch_fq) and capabilities (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON required; CAP_SYS_ADMIN + CAP_SYS_PTRACE to\n' +
    '         # enter pod namespaces); exit 0 when faults can run, 1 naming what is missing\n' +
    '  --node defaults to NIGHTSHIFT_NODE_NAME, then the host name; --node-netns to NIGHTSHIFT_NODE_NETNS\n' +
    '  SIGUSR1 to a running agent pulls its kill switch: every fault removed, injects refused until restart',
  async run(args, io) {
    if (args[0] === 'stop-all') return stopAll(args.slice(1), io);
    if (args[0] === 'check') return check(args.slice(1), io);
    const { values, positionals } = parse(args, {
      node: { type: 'string', default: process.env.NIGHTSHIFT_NODE_NAME || hostname() },
      'node-netns': {
        type: 'string',
        ...(process.env.NIGHTSHIFT_NODE_NETNS ? { default: process.env.NIGHTSHIFT_NODE_NETNS } : {}),
      },
      'reconcile-every': { type: 'string', default: '30s' },
      'attach-mode': { type: 'string' },
      'stop-faults-on-exit': { type: 'boolean', default: false },
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const parsed = flags.safeParse(values);
    if (!parsed.success) {
      throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const opts = parsed.data;
    const config = loadConfig();
    const log = createLogger({ level: config.logLevel, name: 'nightshift-agent' });
    const agent = await startNodeAgent({
      config,
      node: opts.node,
      log,
      reconcileEveryMs: parseDuration(opts['reconcile-every']) ?? 30_000,
      ...(opts['node-netns'] ? { nodeNetns: opts['node-netns'] } : {}),
      ...(opts['attach-mode'] ? { attachMode: opts['attach-mode'] } : {}),
    });
    io.out(`nightshift agent: node ${opts.node} on task queue ${agent.taskQueue}`);
    const onKillSwitch = () => {
      agent.killSwitch('SIGUSR1').then(
        (result) => io.out(`nightshift agent: kill switch pulled; removed ${result.reverted.length} fault(s)`),
        (err: unknown) => log.error({ err }, 'kill switch failed'),
      );
    };
    process.on('SIGUSR1', onKillSwitch);
    const stopped = await Promise.race([
      new Promise<'signal'>((done) => {
        process.once('SIGINT', () => done('signal'));
        process.once('SIGTERM', () => done('signal'));
      }),
      agent.done.then(() => 'worker' as const),
    ]);
    process.off('SIGUSR1', onKillSwitch);
    // Uninstalled (or replaced): no agent will be left here to reconcile this node's faults, so none stay.
    if (stopped === 'signal' && opts['stop-faults-on-exit']) {
      const result = await agent.killSwitch('stopping (--stop-faults-on-exit)');
      io.out(`nightshift agent: stopping; removed ${result.reverted.length} fault(s)`);
    }
    await agent.stop();
    return stopped === 'signal' ? 0 : 1;
  },
};
