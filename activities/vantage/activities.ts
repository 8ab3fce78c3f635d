// The node agent's vantage activities: DNS from inside a pod's network
// namespace with the pod's own resolv.conf, TCP connects from a pod, and
// TCP connects from the node's own namespace. The agent measures only from
// its own node; it finds a pod's namespace by the pod's IP (locate.ts).
import { z } from 'zod';
import {
  ErrorType,
  failure,
  type ConnectResult,
  type NodeConnectRequest,
  type PodConnectRequest,
  type PodDnsRequest,
  type PodDnsResult,
  type PodOnNode,
} from '../../model/index.ts';
import { NetnsLocator, podResolvConf } from './locate.ts';
import { parseResolvConf } from './resolvconf.ts';
import { dnsIn, Measurers, tcpIn } from './run.ts';
import { nodeConnectRequestSchema, podConnectRequestSchema, podDnsRequestSchema } from './task.ts';

export interface VantageDeps {
  node: string;
  /** The node's own namespace under /run/netns (lab nodes); unset = the agent's own. */
  nodeNetns?: string;
  locator?: NetnsLocator;
  /** The helpers in the namespaces measured from; the agent closes them when it stops. */
  measurers?: Measurers;
}

function parse<T>(schema: z.ZodType<T>, input: unknown, activity: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw failure(ErrorType.InvalidInput, `${activity}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function createVantageActivities(deps: VantageDeps) {
  const { node } = deps;
  const locator = deps.locator ?? new NetnsLocator();
  const measurers = deps.measurers ?? new Measurers();
  const nodePath = deps.nodeNetns ? `/run/netns/${deps.nodeNetns}` : undefined;

  const ownPod = (pod: PodOnNode) => {
    if (pod.node !== node)
      throw failure(
        ErrorType.Refused,
        `pod ${pod.namespace}/${pod.name} runs on node ${pod.node}; the agent on ${node} measures only from its own node`,
      );
    return `pod ${pod.namespace}/${pod.name}`;
  };

  return {
    async dnsFromPod(input: PodDnsRequest): Promise<PodDnsResult> {
      const req = parse(podDnsRequestSchema, input, 'dnsFromPod');
      const where = ownPod(req.pod);
      const { found, pids } = await locator.locate(req.pod.ip, where);
      const { text, source } = await podResolvConf(pids);
      const conf = parseResolvConf(text);
      // glibc with no nameserver line asks the local machine.
      if (conf.nameservers.length === 0) conf.nameservers = ['127.0.0.1'];
      const plan = (nameservers: string[]) => ({
        resolver: { ...conf, nameservers },
        names: req.names,
        lookups: req.lookups,
        concurrency: req.concurrency,
        lossAfterMs: req.lossAfterMs,
        endBy: req.endBy,
      });
      const extra = (req.servers ?? []).filter((s) => !conf.nameservers.includes(s));
      const runs = await dnsIn(
        measurers,
        found.path,
        [
          { server: conf.nameservers.join(','), plan: plan(conf.nameservers) },
          ...extra.map((s) => ({ server: s, plan: plan([s]) })),
        ],
        where,
      );
      return {
        kind: 'dns',
        node,
        pod: `${req.pod.namespace}/${req.pod.name}`,
        netns: found,
        resolver: { ...conf, source },
        runs,
      };
    },

    async connectFromPod(input: PodConnectRequest): Promise<ConnectResult> {
      const { pod, ...plan } = parse(podConnectRequestSchema, input, 'connectFromPod');
      const where = ownPod(pod);
      const { found } = await locator.locate(pod.ip, where);
      return {
        kind: 'connect',
        node,
        from: where,
        netns: found,
        samples: await tcpIn(measurers, found.path, plan, where),
      };
    },

    async connectFromNode(input: NodeConnectRequest): Promise<ConnectResult> {
      const plan = parse(nodeConnectRequestSchema, input, 'connectFromNode');
      const where = `node ${node}`;
      return { kind: 'connect', node, from: where, samples: await tcpIn(measurers, nodePath, plan, where) };
    },
  };
}

export type VantageActivities = ReturnType<typeof createVantageActivities>;
