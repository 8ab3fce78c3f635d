// `nightshift agent`: the node agent, until SIGINT/SIGTERM; SIGUSR1 pulls its
// kill switch (every fault on the node removed, injects refused until it is
// restarted). `nightshift agent stop-all` does the same from outside, with
// the kernel alone: it works with Temporal and the agent both down.
import { hostname } from 'node:os';
import { z } from 'zod';
import { stopAllLocal } from '../../activities/index.ts';
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

export const agentCommand: Command = {
  summary:
    "run the node agent: fault activities and measurements from this node's pods and the node itself (DNS, TCP connects) on nightshift-node-<node>, plus the reconciler",
  usage:
    'usage: nightshift agent [--node <name>] [--node-netns <netns>] [--reconcile-every 30s] [--attach-mode tcx|tc]\n' +
    '       nightshift agent stop-all [--node <name>] [--json]   # the local kill switch: no Temporal needed\n' +
    '  --node defaults to NIGHTSHIFT_NODE_NAME, then the host name; --node-netns to NIGHTSHIFT_NODE_NETNS\n' +
    '  SIGUSR1 to a running agent pulls its kill switch: every fault removed, injects refused until restart',
  async run(args, io) {
    if (args[0] === 'stop-all') return stopAll(args.slice(1), io);
    const { values, positionals } = parse(args, {
      node: { type: 'string', default: process.env.NIGHTSHIFT_NODE_NAME || hostname() },
      'node-netns': {
        type: 'string',
        ...(process.env.NIGHTSHIFT_NODE_NETNS ? { default: process.env.NIGHTSHIFT_NODE_NETNS } : {}),
      },
      'reconcile-every': { type: 'string', default: '30s' },
      'attach-mode': { type: 'string' },
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
    await agent.stop();
    return stopped === 'signal' ? 0 : 1;
  },
};
