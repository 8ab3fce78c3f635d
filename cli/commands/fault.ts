// `nightshift fault inject|list|revert|stop-all`: faults from the terminal.
// A spec is validated here with the workflow's own schema before anything
// starts; --dry-run runs the fault workflow in plan mode, so the node agents
// resolve interfaces and it prints exactly what would be attached where.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import type { AttachmentPlan } from '../../model/index.ts';
import { faultAbortSignal, faultLimits, validateFault } from '../../workflows/index.ts';
import type { faultWorkflow, FaultInput, FaultNodesResult, FaultStatus } from '../../workflows/index.ts';
import { loadConfig, type Config } from '../../worker/index.ts';
import { onNodes, runningFaults, stopAllFaults, connectClient } from '../../worker/index.ts';
import { group, jsonFlag, parse, printJson, UsageError, type Command, type Io } from '../command.ts';
export { agentCommand } from './agent.ts';

async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

function specFromFlags(v: Record<string, string | boolean | string[] | undefined>): unknown {
  const str = (k: string) => (typeof v[k] === 'string' ? v[k] : undefined);
  if (str('spec')) return parseYaml(readFileSync(str('spec') as string, 'utf8'));
  const selector = str('selector');
  const target =
    str('namespace') !== undefined || selector !== undefined
      ? { namespace: str('namespace'), selector }
      : { node: str('node'), interface: str('interface'), ...(str('netns') ? { netns: str('netns') } : {}) };
  const magnitude = {
    ...(str('percent') ? { percent: num(str('percent')) } : {}),
    ...(str('delay-ms') ? { delayMs: num(str('delay-ms')) } : {}),
    ...(str('jitter-ms') ? { jitterMs: num(str('jitter-ms')) } : {}),
    ...(str('rate-pps') ? { ratePps: num(str('rate-pps')) } : {}),
  };
  const peers = Array.isArray(v.peer) ? v.peer : [];
  const probes = Array.isArray(v['stop-when']) ? v['stop-when'] : [];
  return {
    target,
    kind: str('kind'),
    match: {
      direction: str('direction'),
      protocol: str('protocol'),
      ...(str('src-ports') ? { srcPorts: str('src-ports') } : {}),
      ...(str('dst-ports') ? { dstPorts: str('dst-ports') } : {}),
      ...(peers.length ? { peers } : {}),
    },
    magnitude,
    duration: str('duration'),
    ...(probes.length ? { stopWhen: probes.map((probe) => ({ probe, every: str('stop-every') })) } : {}),
    ...(str('verdict-after') ? { verdictAfter: str('verdict-after') } : {}),
  };
}

function describePlan(plan: AttachmentPlan): string {
  const where = `${plan.netns ? `netns ${plan.netns} ` : ''}${plan.interface} tc ${plan.hook}`;
  const pod = plan.pod ? ` (pod ${plan.pod.namespace}/${plan.pod.name} ${plan.pod.ip})` : '';
  const qdisc = plan.qdisc ? `, root qdisc ${plan.qdisc}` : '';
  return `node ${plan.node}: ${where}${pod} via ${plan.mode}${qdisc}, pinned at ${plan.pin}, until ${plan.deadline}`;
}

function describeStatus(s: FaultStatus): string[] {
  const c = s.counters;
  const lines = [`${s.faultId}: ${s.state}${s.end?.detail ? ` (${s.end.detail})` : ''}`];
  if (s.fault)
    lines.push(`  ${s.fault.kind} ${s.fault.match.direction} ${s.fault.match.protocol}, until ${s.deadline ?? '?'}`);
  for (const plan of s.undo) lines.push(`  ${describePlan(plan)}`);
  if (s.verdict) lines.push(`  verdict: ${s.verdict.outcome}`);
  lines.push(
    `  counters: seen ${c.seen}, matched ${c.matched}, dropped ${c.dropped}, delayed ${c.delayed}, expired ${c.expired}`,
  );
  for (const r of s.reverts) lines.push(`  revert: ${r.message}`);
  for (const e of s.revertErrors) lines.push(`  revert failed: ${e}`);
  return lines;
}

const inject: Command = {
  summary: 'start a fault (drop or delay) on a node interface or on pods',
  usage: [
    'usage: nightshift fault inject (--node <n> --interface <if> [--netns <ns>] | --namespace <ns> --selector <k=v,...>)',
    '         [--kind drop|delay] [--direction egress|ingress] [--protocol tcp|udp|icmp|any] [--dst-ports 80|8000-8100]',
    '         [--src-ports ...] [--peer <cidr> ...] [--percent <0-100> | --delay-ms <ms> [--jitter-ms <ms>]]',
    '         [--duration 60s] [--stop-when <probe> ... [--stop-every 5s]] [--verdict-after 2s] [--id <fault-id>]',
    '         [--spec <file.yaml|json>] [--dry-run] [--wait] [--json]',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      node: { type: 'string' },
      interface: { type: 'string' },
      netns: { type: 'string' },
      namespace: { type: 'string' },
      selector: { type: 'string' },
      kind: { type: 'string', default: 'drop' },
      direction: { type: 'string', default: 'egress' },
      protocol: { type: 'string', default: 'any' },
      'src-ports': { type: 'string' },
      'dst-ports': { type: 'string' },
      peer: { type: 'string', multiple: true },
      percent: { type: 'string' },
      'delay-ms': { type: 'string' },
      'jitter-ms': { type: 'string' },
      'rate-pps': { type: 'string' },
      duration: { type: 'string', default: '60s' },
      'stop-when': { type: 'string', multiple: true },
      'stop-every': { type: 'string', default: '5s' },
      'verdict-after': { type: 'string' },
      id: { type: 'string' },
      spec: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      ...jsonFlag,
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const config = loadConfig();
    const limits = faultLimits(config.faults);
    const spec = specFromFlags(values);
    const checked = validateFault(spec, limits);
    if (!checked.ok) {
      if (values.json) printJson(io, { ok: false, problems: checked.problems });
      else io.err(`fault refused:\n  - ${checked.problems.join('\n  - ')}`);
      return 1;
    }
    const faultId =
      values.id ??
      `fault-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(2).toString('hex')}`;
    const input: FaultInput = {
      spec: checked.spec,
      limits,
      dryRun: values['dry-run'],
      requestedBy: { id: process.env.USER ?? 'cli', via: 'cli' },
    };
    return withClient(async (client) => {
      const handle = await client.workflow.start<typeof faultWorkflow>('faultWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: faultId,
        args: [input],
        memo: { requestedBy: input.requestedBy?.id ?? 'cli' },
      });
      if (!values['dry-run'] && !values.wait) {
        if (values.json) printJson(io, { faultId, started: true });
        else io.out(`started fault ${faultId} (nightshift fault list; nightshift fault revert ${faultId})`);
        return 0;
      }
      const outcome = await handle.result().then(
        (status) => ({ status }),
        (err: unknown) => ({
          error: err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err),
        }),
      );
      if ('error' in outcome) {
        if (values.json) printJson(io, { faultId, ok: false, error: outcome.error });
        else io.err(outcome.error);
        return 1;
      }
      const { status } = outcome;
      if (values.json) printJson(io, status);
      else if (values['dry-run']) {
        io.out(`dry run of ${faultId}: nothing attached; with --id ${faultId} it would attach:`);
        for (const plan of status.undo) io.out(`  ${describePlan(plan)}`);
      } else for (const line of describeStatus(status)) io.out(line);
      return 0;
    });
  },
};

function printNodes(io: Io, result: FaultNodesResult): void {
  for (const [node, answer] of Object.entries(result)) {
    io.out(answer.ok ? `${node}: ${JSON.stringify(answer.result)}` : `${node}: unreachable: ${answer.error}`);
  }
}

const list: Command = {
  summary: 'list running faults (or, with --node, what each node agent has attached)',
  usage: 'usage: nightshift fault list [--node <name> ...] [--json]',
  async run(args, io) {
    const { values } = parse(args, { node: { type: 'string', multiple: true, default: [] }, ...jsonFlag }, false);
    return withClient(async (client, config) => {
      if (values.node.length) {
        const result = await onNodes(client, config, { nodes: values.node, action: 'list' });
        if (values.json) printJson(io, result);
        else printNodes(io, result);
        return 0;
      }
      const faults = await runningFaults(client);
      if (values.json) printJson(io, faults);
      else if (faults.length === 0) io.out('no running faults');
      else for (const status of faults) for (const line of describeStatus(status)) io.out(line);
      return 0;
    });
  },
};

const revert: Command = {
  summary: 'end a fault now: its workflow reverts it (with --node, revert on those agents directly)',
  usage: 'usage: nightshift fault revert <fault-id> [--node <name> ...] [--reason <text>] [--wait] [--json]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      node: { type: 'string', multiple: true, default: [] },
      reason: { type: 'string', default: 'reverted from the CLI' },
      wait: { type: 'boolean', default: false },
      ...jsonFlag,
    });
    const [faultId] = positionals;
    if (!faultId || positionals.length > 1) throw new UsageError('expected exactly one fault id');
    return withClient(async (client, config) => {
      const handle = client.workflow.getHandle<typeof faultWorkflow>(faultId);
      const signalled = await handle
        .signal(faultAbortSignal, { reason: values.reason, by: { id: process.env.USER ?? 'cli', via: 'cli' } })
        .then(() => true)
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        });
      const nodes = values.node.length
        ? await onNodes(client, config, { nodes: values.node, action: 'revert', faultId })
        : undefined;
      const status = signalled && values.wait ? await handle.result().catch(() => undefined) : undefined;
      if (values.json)
        printJson(io, { faultId, signalled, ...(status ? { status } : {}), ...(nodes ? { nodes } : {}) });
      else {
        io.out(signalled ? `abort sent to ${faultId}` : `no running workflow ${faultId}`);
        if (status) for (const line of describeStatus(status)) io.out(line);
        if (nodes) printNodes(io, nodes);
      }
      return signalled || nodes ? 0 : 1;
    });
  },
};

const stopAll: Command = {
  summary: 'the kill switch: abort every running fault and clear every node with an agent',
  usage: 'usage: nightshift fault stop-all [--node <name> ...] [--json]',
  async run(args, io) {
    const { values } = parse(args, { node: { type: 'string', multiple: true, default: [] }, ...jsonFlag }, false);
    return withClient(async (client, config) => {
      const by = { id: process.env.USER ?? 'cli', via: 'cli' };
      const outcome = await stopAllFaults(client, config, { by, reason: 'stop-all', nodes: values.node });
      if (values.json) printJson(io, outcome);
      else {
        io.out(
          `aborted ${outcome.aborted.length} running fault(s)${outcome.aborted.length ? `: ${outcome.aborted.join(', ')}` : ''}`,
        );
        printNodes(io, outcome.nodes);
      }
      return Object.values(outcome.nodes).every((r) => r.ok) ? 0 : 1;
    });
  },
};

export const faultCommand = group('inject and end faults', { inject, list, revert, 'stop-all': stopAll }, 'fault');
