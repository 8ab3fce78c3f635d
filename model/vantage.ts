// Measurements made from where the pods are: the node agent on a pod's node
// enters the pod's network namespace (or measures from the node's own) and
// answers with samples; the control worker fans the requests out to the
// agents through `vantageWorkflow` and reduces the samples to evidence.

/** The workflow a collector starts to reach the node agents (registered by the control worker). */
export const VANTAGE_WORKFLOW = 'vantageWorkflow';

/** A pod as the API server describes it: the agent on `node` finds its network namespace by `ip`. */
export interface PodOnNode {
  namespace: string;
  name: string;
  ip: string;
  node: string;
}

export interface ConnectTarget {
  /** What the samples are labelled with: a node name, "service production/cart 10.244.1.5:80", a pod. */
  name: string;
  host: string;
  port: number;
}

/** One TCP connect attempt. A refused connect proves the path; only timeout and unreachable are loss. */
export interface TcpSample {
  target: string;
  ms: number;
  outcome: 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';
  error?: string;
}

export interface ConnectPlan {
  targets: ConnectTarget[];
  attempts: number;
  timeoutMs: number;
  /** Pause between attempts to one target, ms. */
  intervalMs: number;
  /** Wall-clock time (epoch ms) by which the samples are back: later attempts are not started. */
  endBy: number;
}

/** A resolver's settings as glibc reads them from resolv.conf. */
export interface ResolverConf {
  nameservers: string[];
  search: string[];
  ndots: number;
  /** options timeout: seconds per attempt (glibc's RES_TIMEOUT, 5 by default). */
  timeoutSeconds: number;
  /** options attempts: rounds over the nameservers (2 by default). */
  attempts: number;
  rotate: boolean;
  /** options single-request / single-request-reopen: A and AAAA one after the other. */
  singleRequest: boolean;
  singleRequestReopen: boolean;
  /** options no-aaaa: A queries only. */
  noAaaa: boolean;
  /** Lines or options read but not emulated (use-vc, edns0, trust-ad, ...). */
  ignored: string[];
}

/** One lookup as getaddrinfo(AF_UNSPEC) makes it: every search candidate, A and AAAA, every retry. */
export interface DnsLookupSample {
  name: string;
  /** Milliseconds to the final answer; for a lookup still waiting when the measurement ended, so far. */
  ms: number;
  /**
   * NOERROR (addresses), NODATA (the name exists, no address), NXDOMAIN, SERVFAIL, REFUSED (or NOTIMP),
   * TIMEOUT (every attempt went unanswered), PENDING (still waiting when the measurement ended), ERROR (no
   * nameserver reachable: ECONNREFUSED, or a send failed).
   */
  outcome: 'NOERROR' | 'NODATA' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'PENDING' | 'ERROR';
  /** Address records in the final answer. */
  answers: number;
  /** The candidate name that answered (the search path applied). */
  answeredAs?: string;
  /** Query packets sent, retries included. */
  queries: number;
  /** Query packets that went unanswered: their attempt timed out, or they waited `lossAfterMs` or more. */
  lost: number;
  /** Query packets in flight for less than `lossAfterMs` when the measurement ended: fate unknown. */
  unknown: number;
  /** Query packets sent again after a timeout. */
  retries: number;
  error?: string;
}

export interface DnsLookupPlan {
  resolver: ResolverConf;
  names: string[];
  /** Lookups per run, cycling through the names. */
  lookups: number;
  /** Lookups in flight at once (each lane keeps its own resolver state, like a thread's). */
  concurrency: number;
  /** A query unanswered this long when the measurement ends counts as lost. */
  lossAfterMs: number;
  endBy: number;
}

/** One set of lookups: through the pod's own nameservers, or through one more server with the pod's settings. */
export interface DnsRun {
  /** The nameservers used, comma-separated ("10.96.0.10"). */
  server: string;
  samples: DnsLookupSample[];
  /**
   * The same lookups' typical time against an answerer on the measurer's own
   * loopback just before: the measurer's share of every time (its waits for
   * the CPU), not DNS's. Absent where there is no loopback.
   */
  selfMs?: number;
}

/** How the agent found a pod's network namespace. */
export interface NetnsFound {
  /** What it entered: /run/netns/<name> when the namespace is bound there, else /proc/<pid>/ns/net. */
  path: string;
  inode: number;
  how: 'cached' | 'run-netns' | 'proc-scan';
}

export interface PodDnsRequest {
  pod: PodOnNode;
  names: string[];
  lookups: number;
  concurrency: number;
  lossAfterMs: number;
  /** More nameservers (cluster DNS, NodeLocal DNSCache) to measure with the pod's settings, one at a time. */
  servers?: string[];
  endBy: number;
}

export interface PodDnsResult {
  kind: 'dns';
  node: string;
  pod: string;
  netns: NetnsFound;
  /** The pod's resolv.conf as read, and where from. */
  resolver: ResolverConf & { source: string };
  runs: DnsRun[];
}

export interface PodConnectRequest extends ConnectPlan {
  pod: PodOnNode;
}

export type NodeConnectRequest = ConnectPlan;

export interface ConnectResult {
  kind: 'connect';
  node: string;
  /** "node lab-node-1" or "pod production/checkout-frontend-…". */
  from: string;
  netns?: NetnsFound;
  samples: TcpSample[];
}

/** One measurement on one node's agent. */
export type VantageJob =
  | { node: string; activity: 'dnsFromPod'; request: PodDnsRequest }
  | { node: string; activity: 'connectFromPod'; request: PodConnectRequest }
  | { node: string; activity: 'connectFromNode'; request: NodeConnectRequest };

export interface VantageRequest {
  jobs: VantageJob[];
  /** How long an agent may take to pick a job up before it counts as absent. */
  pickupMs: number;
  /** How long a picked-up job may run. */
  runMs: number;
}

/** Per job, in the request's order: the agent's answer, or why there is none. */
export type VantageOutcome =
  | { node: string; ok: true; result: PodDnsResult | ConnectResult }
  | { node: string; ok: false; reason: 'no-agent' | 'timeout' | 'failed'; error: string };
