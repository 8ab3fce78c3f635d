// Shapes that cross between the fault workflow and the fault activities (node
// agent and control side): targets, matches, attachment plans, counters,
// reverts, node capabilities. Types only.

export type Direction = 'ingress' | 'egress';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'any';
export type FaultKind = 'drop' | 'delay';

export interface PortRange {
  from: number;
  to: number;
}

/** Which packets a fault touches, from the target's point of view. */
export interface FaultMatch {
  /** egress: what the target sends; ingress: what it receives. */
  direction: Direction;
  protocol: Protocol;
  srcPorts?: PortRange;
  dstPorts?: PortRange;
  /** Prefixes of the other side (IPv4 and IPv6 CIDRs); empty = anyone. */
  peers: string[];
}

export interface Magnitude {
  /** drop: parts per million dropped. */
  dropPpm?: number;
  /** delay: added departure delay and its +/- spread. */
  delayMs?: number;
  jitterMs?: number;
  /** delay: expected packets per second, to size the fq qdisc. */
  ratePps?: number;
}

/** A pod the control plane resolved; the node finds its interface. */
export interface PodRef {
  namespace: string;
  name: string;
  ip: string;
  /**
   * The pod's network namespace: a name under /run/netns or a path in the
   * runtime's directories (see NETNS_REF). In a request, the annotation
   * nightshift.dev/netns when the pod has it; without it the agent finds the
   * namespace on its node that holds the pod's IP, and the plan's pod names
   * that one.
   */
  netns?: string;
}

/**
 * One target on one node. Direct: an interface by name, inside `netns` or
 * the node's own namespace; the interface's own ingress/egress is the
 * target's. Pod: the agent finds the pod's own host-side device (from the
 * pod's namespace, else by route lookup) and refuses a device pods share.
 */
export interface NodeTarget {
  node: string;
  interface?: string;
  netns?: string;
  pod?: PodRef;
}

export interface InjectRequest {
  faultId: string;
  /** The attachment within the fault: "t0", "t1", ... */
  key: string;
  target: NodeTarget;
  kind: FaultKind;
  match: FaultMatch;
  magnitude: Magnitude;
  /** Wall-clock end (ISO); the kernel stops enforcing at it on its own. */
  deadline: string;
  /** Resolve and plan only; nothing is attached. */
  dryRun?: boolean;
  /** The requester holds PROTECTED_PEERS_ROLE: protected peers named exactly in match.peers may be touched. */
  allowProtected?: boolean;
}

/** An address the node agent keeps every fault away from (its control plane). */
export interface ProtectedPeer {
  /** What it is: "API server", "Temporal frontend", "etcd", "cluster DNS", or a configured name. */
  what: string;
  /** One IPv4 or IPv6 address. */
  address: string;
  /** The port its service listens on; without one, every port of the address is kept. */
  port?: number;
}

/** Exactly what is (or would be) attached where: the undo record. */
export interface AttachmentPlan {
  faultId: string;
  key: string;
  node: string;
  /** Namespace the interface lives in; absent = the agent's own. */
  netns?: string;
  interface: string;
  /** The tc hook on that interface (a pod's host-side peer sees the pod's egress at ingress). */
  hook: Direction;
  peerIsDst: boolean;
  pin: string;
  mode: 'tcx' | 'tc';
  deadline: string;
  /** Delay faults: the fq root qdisc installed for Earliest Departure Time. */
  qdisc?: string;
  pod?: PodRef;
  /** Peers the kernel program passes untouched whatever the match says. */
  protected?: ProtectedPeer[];
  /** The deadline asked for, when the agent cut it to its own ceiling. */
  clampedFrom?: string;
}

export interface Counters {
  seen: number;
  matched: number;
  dropped: number;
  delayed: number;
  expired: number;
}

export interface AttachmentState extends AttachmentPlan {
  counters: Counters;
  expired: boolean;
  interfaceGone: boolean;
}

export interface InjectResult {
  dryRun: boolean;
  /** The same fault id and key was already attached: nothing changed. */
  alreadyActive: boolean;
  plan: AttachmentPlan;
  state?: AttachmentState;
}

export interface RevertRequest {
  faultId: string;
  /** One attachment only; absent = every attachment of the fault on this node. */
  key?: string;
}

export interface RevertedAttachment {
  key: string;
  pin: string;
  interface?: string;
  netns?: string;
  /** detached | interface-gone | absent | not-attached | not-ours */
  state: string;
  counters?: Counters;
}

export interface RevertResult {
  node: string;
  faultId: string;
  /** False when nothing of this fault was on the node (revert is still a success). */
  found: boolean;
  message: string;
  attachments: RevertedAttachment[];
  /** The agent's clock (ISO) once the kernel no longer enforced the fault here. */
  revertedAt: string;
}

export interface CountersResult {
  node: string;
  faultId: string;
  total: Counters;
  attachments: { key: string; counters: Counters; interfaceGone: boolean; expired: boolean }[];
}

export interface NodeAttachment {
  faultId: string;
  key: string;
  pin: string;
  interface: string;
  netns?: string;
  hook: Direction;
  mode: string;
  kind: FaultKind;
  deadlineInMs: number;
  expired: boolean;
  interfaceGone: boolean;
  counters: Counters;
}

export interface NodeCapabilities {
  node: string;
  kernel: string;
  btf: boolean;
  bpffs: boolean;
  tcx: boolean;
  clsact: boolean;
  fq: boolean;
  attachMode: 'tcx' | 'tc' | 'none';
  problems: string[];
}

export interface StopAllResult {
  node: string;
  reverted: RevertResult[];
}

/** Control side: pods behind a namespace + label selector. */
export interface ResolveRequest {
  namespace: string;
  selector: Record<string, string> | string;
}

export interface ResolvedPod {
  node: string;
  pod: PodRef;
}
