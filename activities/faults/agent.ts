// The node agent's activities: inject, revert, counters, list, capabilities,
// stopAll. Every one is idempotent: inject with a known fault id and key
// returns what is there; revert of an unknown fault succeeds and says so.
// The agent trusts nothing it receives: every request is checked with the
// fault's own field rules (model/fault-schema.ts), its deadline is cut to the
// agent's ceiling, and its protected peers are kept out of every match.
import {
  attach,
  detach,
  detachFault,
  faultIds,
  HelperError,
  list as listAttachments,
  probeCapabilities,
  attachmentDir,
  type Attachment,
  type Capabilities,
  type Counters,
  type Detached,
} from '../../bpf/index.ts';
import {
  countersRequestSchema,
  ErrorType,
  failure,
  formatIssues,
  injectRequestSchema,
  revertRequestSchema,
} from '../../model/index.ts';
import type { z } from 'zod';
import { withKernelLock } from './lock.ts';
import { planAttachment, type AgentContext } from './plan.ts';
import type {
  ProtectedPeer,
  AttachmentState,
  CountersResult,
  InjectRequest,
  InjectResult,
  NodeAttachment,
  NodeCapabilities,
  RevertRequest,
  RevertResult,
  StopAllResult,
} from '../../model/index.ts';

export interface NodeAgentDeps {
  node: string;
  /** The node's namespace under /run/netns (lab nodes); unset = the agent's own. */
  nodeNetns?: string;
  /** Force legacy tc filters instead of tcx links (tests, old kernels). */
  attachMode?: 'tcx' | 'tc';
  /** Capability probe; defaults to a real one, run once. */
  probe?: () => Promise<Capabilities>;
  /** The agent's own ceiling on a fault's lifetime (default 30 minutes). */
  maxTtlMs?: number;
  /** Addresses no fault may match here: API server, etcd, Temporal, cluster DNS, ... */
  protectedPeers?: ProtectedPeer[];
  /** Why injects are refused now (the agent's kill switch was pulled), or undefined. */
  halted?: () => string | undefined;
  /** Finds a pod's network namespace by its IP when the request names none (see AgentContext). */
  locatePodNetns?: AgentContext['locatePodNetns'];
}

export const DEFAULT_MAX_TTL_MS = 30 * 60_000;

/** A request checked with its schema; anything else is refused, naming every problem. */
function checked<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw failure(ErrorType.InvalidInput, `${what} refused: ${formatIssues(parsed.error.issues).join('; ')}`);
}

/** Drop needs a percentage and no delay; delay needs a delay and no percentage. */
function checkMagnitude(req: InjectRequest): void {
  const { dropPpm, delayMs } = req.magnitude;
  if (req.kind === 'drop' && (dropPpm === undefined || delayMs !== undefined)) {
    throw failure(ErrorType.InvalidInput, 'inject refused: a drop needs magnitude.dropPpm and no delayMs');
  }
  if (req.kind === 'delay' && (delayMs === undefined || dropPpm !== undefined)) {
    throw failure(ErrorType.InvalidInput, 'inject refused: a delay needs magnitude.delayMs and no dropPpm');
  }
}

const ENODEV = 19;

export const zeroCounters = (): Counters => ({ seen: 0, matched: 0, dropped: 0, delayed: 0, expired: 0 });

export function addCounters(a: Counters, b: Counters): Counters {
  return {
    seen: a.seen + b.seen,
    matched: a.matched + b.matched,
    dropped: a.dropped + b.dropped,
    delayed: a.delayed + b.delayed,
    expired: a.expired + b.expired,
  };
}

function nodeAttachment(a: Attachment): NodeAttachment {
  return {
    faultId: a.faultId,
    key: a.key,
    pin: a.pin,
    interface: a.ifname,
    ...(a.netns ? { netns: a.netns } : {}),
    hook: a.hook,
    mode: a.mode,
    kind: a.kind,
    deadlineInMs: Math.round(a.deadlineInMs),
    expired: a.expired,
    interfaceGone: a.interfaceGone,
    counters: a.counters,
  };
}

function revertResult(node: string, faultId: string, detached: Detached[], at: Date): RevertResult {
  const found = detached.filter((d) => d.state !== 'absent');
  const gone = found.filter((d) => d.state === 'interface-gone');
  const message =
    found.length === 0
      ? `fault ${faultId} is not active on node ${node}: nothing to revert`
      : `reverted ${found.length} attachment(s) of fault ${faultId} on node ${node}` +
        (gone.length ? `; ${gone.map((d) => d.attachment?.ifname ?? d.key).join(', ')} had already disappeared` : '');
  return {
    node,
    faultId,
    found: found.length > 0,
    message,
    attachments: detached.map((d) => ({
      key: d.key,
      pin: d.pin,
      ...(d.attachment ? { interface: d.attachment.ifname, counters: d.attachment.counters } : {}),
      ...(d.attachment?.netns ? { netns: d.attachment.netns } : {}),
      state: d.state,
    })),
    revertedAt: at.toISOString(),
  };
}

function kernelFailure(err: unknown): unknown {
  if (err instanceof HelperError && err.errno === ENODEV) return failure(ErrorType.NotFound, err.message);
  if (err instanceof Error && err.message.includes('nightshift will not replace'))
    return failure(ErrorType.Refused, err.message);
  return err;
}

export function createNodeAgentActivities(deps: NodeAgentDeps) {
  const { node } = deps;
  const maxTtlMs = deps.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
  const protectedPeers = deps.protectedPeers ?? [];
  let probed: Promise<Capabilities> | undefined;
  const probe = (): Promise<Capabilities> => {
    probed ??= (deps.probe ?? (() => probeCapabilities(deps.nodeNetns)))().catch((err: unknown) => {
      probed = undefined;
      throw err;
    });
    return probed;
  };

  async function revert(input: RevertRequest): Promise<RevertResult> {
    const req = checked(revertRequestSchema, input, 'revert');
    const detached = await withKernelLock(async () =>
      req.key ? [await detach(attachmentDir(req.faultId, req.key))] : await detachFault(req.faultId),
    );
    return revertResult(node, req.faultId, detached, new Date());
  }

  return {
    async capabilities(): Promise<NodeCapabilities> {
      const c = await probe();
      return {
        node,
        kernel: c.kernel,
        btf: c.btf,
        bpffs: c.bpffs,
        tcx: c.tcx,
        clsact: c.clsact,
        fq: c.fq,
        attachMode: c.attachMode,
        problems: c.problems,
      };
    },

    async inject(input: InjectRequest): Promise<InjectResult> {
      const req: InjectRequest = checked(injectRequestSchema, input, 'inject');
      checkMagnitude(req);
      const halted = deps.halted?.();
      if (halted && !req.dryRun) throw failure(ErrorType.Refused, `inject refused: ${halted}`);
      const caps = await probe();
      if (caps.attachMode === 'none') {
        throw failure(ErrorType.Unsupported, `node ${node} cannot attach faults: ${caps.problems.join('; ')}`);
      }
      if (req.kind === 'delay' && !caps.fq) {
        throw failure(
          ErrorType.Unsupported,
          `node ${node} cannot delay packets: the kernel has no sch_fq (the fq qdisc that holds packets ` +
            'until their departure time); nothing was attached',
        );
      }
      const attachMode = deps.attachMode ?? caps.attachMode;
      const { plan, program, point } = await planAttachment(req, {
        node,
        attachMode,
        maxTtlMs,
        protectedPeers,
        ...(deps.nodeNetns ? { nodeNetns: deps.nodeNetns } : {}),
        ...(deps.locatePodNetns ? { locatePodNetns: deps.locatePodNetns } : {}),
      });
      if (req.dryRun) return { dryRun: true, alreadyActive: false, plan };
      try {
        const { attachment, existed } = await withKernelLock(() => attach(program, point));
        const state: AttachmentState = {
          ...plan,
          counters: attachment.counters,
          expired: attachment.expired,
          interfaceGone: attachment.interfaceGone,
        };
        return { dryRun: false, alreadyActive: existed, plan, state };
      } catch (err) {
        throw kernelFailure(err);
      }
    },

    revert,

    async counters(input: { faultId: string }): Promise<CountersResult> {
      const req = checked(countersRequestSchema, input, 'counters');
      const attachments = await listAttachments(req.faultId);
      return {
        node,
        faultId: req.faultId,
        total: attachments.reduce((sum, a) => addCounters(sum, a.counters), zeroCounters()),
        attachments: attachments.map((a) => ({
          key: a.key,
          counters: a.counters,
          interfaceGone: a.interfaceGone,
          expired: a.expired,
        })),
      };
    },

    async list(): Promise<NodeAttachment[]> {
      return (await listAttachments()).map(nodeAttachment);
    },

    async stopAll(): Promise<StopAllResult> {
      return stopAllLocal(node);
    },
  };
}

/** Every nightshift attachment on this node removed, with the kernel alone (no Temporal). */
export async function stopAllLocal(node: string): Promise<StopAllResult> {
  const reverted: RevertResult[] = [];
  for (const faultId of faultIds()) {
    const detached = await withKernelLock(() => detachFault(faultId));
    reverted.push(revertResult(node, faultId, detached, new Date()));
  }
  return { node, reverted };
}

export type NodeAgentActivities = ReturnType<typeof createNodeAgentActivities>;
