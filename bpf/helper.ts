// The nsfault helper (bpf/helper/*.c, built by scripts/build-bpf.sh): one
// JSON object per call, checked here against the shapes fault.h defines.
import { z } from 'zod';
import { CommandError, run, type RunOptions } from './exec.ts';
import { helperPath } from './paths.ts';

export const countersSchema = z.object({
  seen: z.number(),
  matched: z.number(),
  dropped: z.number(),
  delayed: z.number(),
  expired: z.number(),
});
export type Counters = z.infer<typeof countersSchema>;

/** enum ns_mode in fault.h */
export const MODES = { 0: 'none', 1: 'tcx', 2: 'tc' } as const;

export const pinnedSchema = z.object({
  pin: z.string(),
  ifname: z.string(),
  netns: z.string(),
  ifindex: z.number(),
  hook: z.enum(['ingress', 'egress']),
  mode: z.union([z.literal(0), z.literal(1), z.literal(2)]).transform((mode) => MODES[mode]),
  tcPrio: z.number(),
  tcHandle: z.number(),
  addedClsact: z.number().transform(Boolean),
  replacedRoot: z.number().transform(Boolean),
  createdNs: z.number(),
  config: z.object({ deadlineNs: z.number(), delayNs: z.number(), jitterNs: z.number(), dropPpm: z.number() }),
  match: z.object({
    proto: z.number(),
    kind: z.number(),
    peerIsDst: z.number(),
    peersV4: z.number(),
    peersV6: z.number(),
    /** Bits: 1 = protected IPv4 addresses, 2 = IPv6 (never matched). */
    keep: z.number().default(0),
    sport: z.tuple([z.number(), z.number()]),
    dport: z.tuple([z.number(), z.number()]),
  }),
  counters: countersSchema,
  link: z.object({ id: z.number(), progId: z.number(), ifindex: z.number() }).nullable(),
});
/** One pinned fault instance as the kernel holds it. */
export type Pinned = z.infer<typeof pinnedSchema>;

const showSchema = z.object({ nowNs: z.number(), faults: z.array(pinnedSchema) });
const loadSchema = z.object({
  pin: z.string(),
  progId: z.number(),
  linkId: z.number(),
  ifindex: z.number(),
  deadlineNs: z.number(),
});
const detachSchema = z.object({ state: z.string(), fault: pinnedSchema.nullable() });
const querySchema = z.object({
  ifindex: z.number(),
  ingress: z.array(z.object({ id: z.number(), name: z.string() })),
  egress: z.array(z.object({ id: z.number(), name: z.string() })),
});
const runSchema = z.object({
  retval: z.number(),
  durationNs: z.number(),
  tstamp: z.number(),
  beforeNs: z.number(),
  afterNs: z.number(),
});
const probeSchema = z.object({ load: z.boolean(), loadError: z.string(), tcx: z.boolean(), tcxError: z.string() });
const errorSchema = z.object({ error: z.string(), errno: z.number() });

/** The helper refused or the kernel said no; errno says why (19 = ENODEV, 17 = EEXIST). */
export class HelperError extends Error {
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    this.name = 'HelperError';
    this.errno = errno;
  }
}

async function call<T>(schema: z.ZodType<T>, args: string[], options: RunOptions = {}): Promise<T> {
  let stdout: string;
  try {
    stdout = (await run(helperPath(), args, options)).stdout;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    stdout = err.stdout;
    const failed = errorSchema.safeParse(safeJson(stdout));
    if (failed.success) throw new HelperError(`nsfault ${args[0]}: ${failed.data.error}`, failed.data.errno);
    throw err;
  }
  // Past 2^53 ns of uptime JSON numbers lose a few ns of precision: irrelevant for deadlines.
  return schema.parse(safeJson(stdout));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const nsfault = {
  load: (args: string[], options?: RunOptions) => call(loadSchema, ['load', ...args], options),
  show: (pins: string[]) => call(showSchema, ['show', ...pins]),
  detach: (pin: string, options?: RunOptions) => call(detachSchema, ['detach', pin], options),
  query: (ifname: string, options?: RunOptions) => call(querySchema, ['query', '--ifname', ifname], options),
  run: (args: string[]) => call(runSchema, ['run', ...args]),
  probe: (ifname: string, options?: RunOptions) => call(probeSchema, ['probe', '--ifname', ifname], options),
};
