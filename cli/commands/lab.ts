// `nightshift lab up|down|status`: the lab cluster on this machine (lab/).
import { labDown, labStatus, labUp, type LabStatus } from '../../lab/index.ts';
import { loadConfig } from '../../worker/index.ts';
import { group, jsonFlag, parse, printJson, type Command, type Io } from '../command.ts';

const up: Command = {
  summary: 'bring the lab up: etcd, API server, CoreDNS, nodes, the shop, probe, Temporal',
  usage:
    'usage: nightshift lab up [--no-chart] [--require fq] [--json]\n' +
    '  nightshift runs from its Helm chart, as pods (docs/lab.md)\n' +
    "  --no-chart  run nightshift as the lab's own worker and agent processes instead (the chart's permissions only)",
  async run(args, io) {
    const { values } = parse(
      args,
      {
        require: { type: 'string', multiple: true, default: [] },
        'no-chart': { type: 'boolean', default: false },
        ...jsonFlag,
      },
      false,
    );
    const config = loadConfig();
    const aborter = new AbortController();
    const interrupt = () => {
      io.err('lab: interrupted; tearing down after the current step');
      aborter.abort();
    };
    process.once('SIGINT', interrupt);
    try {
      const result = await labUp({
        config,
        require: values.require,
        chart: !values['no-chart'],
        progress: (line) => io.err(`lab: ${line}`),
        signal: aborter.signal,
      });
      if (values.json) {
        printJson(io, result);
        return 0;
      }
      if (result.alreadyUp) {
        io.out(`the lab is already up; kubeconfig ${result.kubeconfig} (see \`nightshift lab status\`)`);
        return 0;
      }
      io.out(`the lab is up in ${result.seconds.toFixed(1)} s; kubeconfig ${result.kubeconfig}`);
      io.out(`  try: .tools/bin/kubectl --kubeconfig ${result.kubeconfig} get pods -A -o wide`);
      for (const note of [...result.notes, ...result.missingOptional.map((m) => `missing (optional): ${m}`)])
        io.out(`  note: ${note}`);
      return 0;
    } finally {
      process.off('SIGINT', interrupt);
    }
  },
};

const down: Command = {
  summary: 'remove every namespace, link, process, pin and file the lab made',
  usage: 'usage: nightshift lab down [--json]',
  async run(args, io) {
    const { values } = parse(args, jsonFlag, false);
    const report = await labDown(loadConfig().dataDir);
    if (values.json) {
      printJson(io, report);
      return 0;
    }
    io.out(
      `lab down in ${report.seconds.toFixed(1)} s: stopped ${report.processes} processes, removed ${report.netns.length} network namespaces and ${report.links.length} links`,
    );
    if (report.dnsDiverted) io.out("removed the DNS delay's nftables table, which its process had left behind");
    return 0;
  },
};

function printStatus(io: Io, status: LabStatus): void {
  if (!status.up && !('processes' in status)) {
    io.out(`the lab is down (${status.labDir})`);
    return;
  }
  if (!('processes' in status)) return;
  io.out(
    `lab ${status.up ? (status.healthy ? 'up and healthy' : 'up, NOT all healthy') : `not up (phase ${status.phase})`}; kubeconfig ${status.kubeconfig}`,
  );
  io.out('processes:');
  for (const p of status.processes) {
    io.out(
      `  ${p.name.padEnd(26)} pid ${String(p.pid).padEnd(8)} ${p.alive ? (p.healthy ? 'healthy' : 'UNHEALTHY') : 'DEAD'}${p.netns ? `  netns ${p.netns}` : ''}`,
    );
  }
  io.out('nodes:');
  for (const n of status.nodes)
    io.out(`  ${n.name}  netns ${n.netns}  ${n.ip}  pods ${n.podCidr}  uplink ${n.hostLink}`);
  io.out('pods:');
  for (const p of status.pods) {
    io.out(
      `  ${`${p.namespace}/${p.name}`.padEnd(50)} ${p.ip.padEnd(12)} ${p.node}  ${p.phase ?? '?'}${p.ready ? '' : ' (not ready)'}  netns ${p.netns}  if ${p.hostInterface}`,
    );
  }
  io.out('endpoints:');
  io.out(
    `  apiserver ${status.endpoints.apiserver}   probe ${status.endpoints.probe}   gateway ${status.endpoints.gateway}   temporal ${status.endpoints.temporal}`,
  );
  io.out(`  coredns ${status.endpoints.coredns.dns} (metrics ${status.endpoints.coredns.metrics})`);
  io.out(`  etcd ${status.endpoints.etcd.map((e) => e.client).join(' ')}`);
  for (const note of status.notes) io.out(`note: ${note}`);
}

const status: Command = {
  summary: 'what the lab runs, where, and how healthy it is',
  usage: 'usage: nightshift lab status [--json]',
  async run(args, io) {
    const { values } = parse(args, jsonFlag, false);
    const result = await labStatus(loadConfig().dataDir);
    if (values.json) printJson(io, result);
    else printStatus(io, result);
    return 0;
  },
};

export const labCommand = group('the lab: a small real cluster in network namespaces', { up, down, status }, 'lab');
