// `nightshift agent`: the node agent, until SIGINT/SIGTERM.
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseDuration } from '../../model/index.ts';
import { loadConfig, createLogger, startNodeAgent } from '../../worker/index.ts';
import { parse, UsageError, type Command } from '../command.ts';

const flags = z.object({
  node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a node name'),
  'node-netns': z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a namespace name')
    .optional(),
  'reconcile-every': z.string().refine((v) => (parseDuration(v) ?? 0) >= 1000, 'expected a duration of 1s or more'),
  'attach-mode': z.enum(['tcx', 'tc']).optional(),
});

export const agentCommand: Command = {
  summary: 'run the node agent: fault activities on nightshift-node-<node>, plus the reconciler',
  usage:
    'usage: nightshift agent [--node <name>] [--node-netns <netns>] [--reconcile-every 30s] [--attach-mode tcx|tc]\n' +
    '  --node defaults to NIGHTSHIFT_NODE_NAME, then the host name; --node-netns to NIGHTSHIFT_NODE_NETNS',
  async run(args, io) {
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
    const stopped = await Promise.race([
      new Promise<'signal'>((done) => {
        process.once('SIGINT', () => done('signal'));
        process.once('SIGTERM', () => done('signal'));
      }),
      agent.done.then(() => 'worker' as const),
    ]);
    await agent.stop();
    return stopped === 'signal' ? 0 : 1;
  },
};
