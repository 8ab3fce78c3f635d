// `nightshift policy explain --from ns/labels --to ns/labels --port N
//   [--protocol TCP] [--method POST --path /v1/charge] [--fqdn name]
//   <policy files or dirs...> | --cluster [--json] [--verbose]`
// Exit 0 when the flow is allowed, 1 when it is denied.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { kubeFromConfig, takeSnapshot } from '../../activities/index.ts';
import {
  explain,
  explanationInWords,
  parseQuery,
  policyObjects,
  policyObjectsFromText,
  QueryError,
  toPolicies,
  type FlowQuery,
  type Loaded,
} from '../../activities/index.ts';
import { group, parse, printJson, UsageError, type Command } from '../command.ts';

const explainCommand: Command = {
  summary: 'say whether a flow is allowed by NetworkPolicies and CiliumNetworkPolicies, and by which rule',
  usage: [
    'usage: nightshift policy explain --from <ns/k=v,...> (--to <ns/k=v,...|ip|world> | --fqdn <name>) --port <n>',
    '         [--protocol TCP|UDP|SCTP|ANY] [--method POST] [--path /v1/charge] [--host h]',
    '         (<policy file or dir> ... | --cluster [--kubeconfig <file>]) [--verbose] [--json]',
    '  exit 0: allowed, 1: denied',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      method: { type: 'string' },
      path: { type: 'string' },
      host: { type: 'string' },
      fqdn: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (values.cluster === positionals.length > 0)
      throw new UsageError('give policy files or directories, or --cluster (one of the two)');
    let flow: FlowQuery;
    try {
      flow = parseQuery({
        from: values.from ?? '',
        port: values.port ?? '',
        ...(values.to ? { to: values.to } : {}),
        ...(values.protocol ? { protocol: values.protocol } : {}),
        ...(values.method ? { method: values.method } : {}),
        ...(values.path ? { path: values.path } : {}),
        ...(values.host ? { host: values.host } : {}),
        ...(values.fqdn ? { fqdn: values.fqdn } : {}),
      });
    } catch (err) {
      if (err instanceof QueryError) throw new UsageError(err.message);
      throw err;
    }
    const loaded: ClusterLoaded = values.cluster ? await fromCluster(flow, values.kubeconfig) : fromFiles(positionals);
    addNamespaceLabels(flow, loaded.namespaceLabels ?? {});
    const set = toPolicies(loaded.objects);
    const answer = explain(flow, set.policies, [...loaded.skipped, ...set.unreadable]);
    if (values.json) printJson(io, { ...answer, policies: set.policies.map((p) => p.ref) });
    else for (const line of explanationInWords(answer, values.verbose)) io.out(line);
    return answer.verdict === 'allowed' ? 0 : 1;
  },
};

function fromFiles(paths: string[]): Loaded {
  const files = paths.flatMap((p) => expand(p));
  const all: Loaded = { objects: [], skipped: [] };
  for (const file of files) {
    const loaded = policyObjectsFromText(readFileSync(file, 'utf8'), file);
    all.objects.push(...loaded.objects);
    all.skipped.push(...loaded.skipped);
  }
  return all;
}

function expand(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => ['.yaml', '.yml', '.json'].includes(extname(name)))
    .sort()
    .map((name) => join(path, name));
}

type ClusterLoaded = Loaded & { namespaceLabels?: Record<string, Record<string, string>> };

async function fromCluster(flow: FlowQuery, kubeconfig: string | undefined): Promise<ClusterLoaded> {
  const kube = kubeFromConfig(kubeconfig);
  const namespaces = [...new Set([flow.from.namespace, flow.to.namespace].filter((n): n is string => n !== undefined))];
  const snapshot = await takeSnapshot(kube, namespaces, undefined, Date.now() + 15_000);
  const forbidden = snapshot.problems.filter((p) => /policies|namespace/.test(p.what));
  const loaded = policyObjects(snapshot.policies, 'cluster');
  return {
    objects: loaded.objects,
    skipped: [
      ...loaded.skipped,
      ...forbidden.map((p) => ({ policy: 'cluster', path: '', note: `could not ${p.what}: ${p.kind} (${p.message})` })),
    ],
    namespaceLabels: snapshot.namespaceLabels,
  };
}

function addNamespaceLabels(flow: FlowQuery, labels: Record<string, Record<string, string>>): void {
  for (const end of [flow.from, flow.to]) {
    if (end.namespace && labels[end.namespace]) end.namespaceLabels = labels[end.namespace];
  }
}

export const policyCommand = group(
  'explain NetworkPolicy and CiliumNetworkPolicy decisions',
  { explain: explainCommand },
  'policy',
);
