// What a pile of flows says: dropped flows grouped by source, destination,
// port and reason; traffic per workload pair; connections and whether they
// were answered (a SYN with no SYN-ACK, a query with no reply: the mark a
// packet lost outside Cilium's view leaves); HTTP answers per destination;
// drops per node. Replies are folded into their request's direction, so a
// conversation counts once per pair. Pure and deterministic.
import type { FlowRecord, Peer } from './records.ts';

export interface DropGroup {
  source: string;
  destination: string;
  protocol: string;
  port?: number;
  reason: string;
  count: number;
  nodes: string[];
  sourcePods: string[];
  destinationPods: string[];
  /** The identity labels Hubble gave each end (pod labels, no namespace or Cilium-internal ones), for the policy analyser. */
  sourceLabels: Record<string, string>;
  destinationLabels: Record<string, string>;
}

/** A peer's own labels from its identity: the namespace, Cilium's internal and other sources' (reserved:, cidr:) left out. */
export const podLabels = (p: Peer): Record<string, string> =>
  Object.fromEntries(
    Object.entries(p.labels).filter(
      ([k]) => k !== 'io.kubernetes.pod.namespace' && !k.startsWith('io.cilium.') && !k.includes(':'),
    ),
  );

export interface PairTraffic {
  source: string;
  destination: string;
  protocol: string;
  port?: number;
  forwarded: number;
  dropped: number;
  /** TCP connection attempts (SYN without ACK) seen on this pair. */
  syns: number;
}

/** Connections between two workloads on one port, and how many got an answer. */
export interface ConnectionStats {
  source: string;
  destination: string;
  protocol: string;
  port?: number;
  /** TCP: connections a SYN opened (one per client port); UDP: client ports that sent. */
  attempts: number;
  /** Of those, the ones something came back on: a SYN-ACK, a reset, any reply. */
  answered: number;
  /** TCP: answered with a reset: the path works, the server refused. */
  refused: number;
  sourcePods: string[];
  destinationPods: string[];
  /** Nodes the requests were seen on. */
  nodes: string[];
  /**
   * The connections opened after the last one that was answered, all of them
   * unanswered, and when the first of them opened: a cut that still holds,
   * however much answered traffic came before it in the window. Zero when
   * the newest connection was answered (stray losses spread over a busy
   * window end there).
   */
  trailingLoss: { unanswered: number; since?: string; spanMs?: number };
}

/** Fewest unanswered connections, their least share of the window, or the least unanswered run at its end, that count as loss. */
export const UNANSWERED_MIN = 3;
export const UNANSWERED_SHARE = 0.3;

/** Enough of a pair's connections went unanswered to call it loss, not the ordinary tail of traffic. */
export function unansweredEnough(
  c: Pick<ConnectionStats, 'attempts' | 'answered'> & { trailingLoss?: { unanswered: number; spanMs?: number } },
): boolean {
  const lost = c.attempts - c.answered;
  if (lost < UNANSWERED_MIN) return false;
  const trailing = c.trailingLoss;
  // A run at the end counts when it lasts (a loss that holds), not when a few answers are merely late together.
  const holds = (trailing?.unanswered ?? 0) >= UNANSWERED_MIN && (trailing?.spanMs ?? 0) >= REPLY_GRACE_MS;
  return lost / c.attempts >= UNANSWERED_SHARE || holds;
}

/** A connection opened this close to the newest flow may not have had its answer yet (a SYN is retried after 1 s). */
export const REPLY_GRACE_MS = 2000;

/**
 * How far behind the clock a relay may run and still be read as behind, not quiet (one tick of a node's
 * observer and a second late). Flows are judged at the newest one the relay reported, or at this much
 * before now when the relay has been quiet for longer: a quiet relay has shown every answer there was.
 */
export const RELAY_LAG_MS = 2000;

/** The moment a relay's answer asked for at `nowMs` is judged at (see RELAY_LAG_MS). */
export function judgedAt(records: FlowRecord[], nowMs: number): number {
  const shown = newest(records.flatMap((r) => (r.time ? [r.time] : [])));
  return Math.max(shown ?? -Infinity, nowMs - RELAY_LAG_MS);
}

export interface HttpStats {
  destination: string;
  responses: number;
  errors: number;
  byCode: Record<string, number>;
  /** p95 of L7 latency when the flows carry it, ms. */
  p95Ms?: number;
}

export interface FlowSummary {
  flows: number;
  lost: number;
  byVerdict: Record<string, number>;
  byDropReason: Record<string, number>;
  drops: DropGroup[];
  pairs: PairTraffic[];
  /** Pairs whose connections went unanswered first. */
  connections: ConnectionStats[];
  dropsByNode: Record<string, number>;
  http: HttpStats[];
  window?: { first: string; last: string };
}

export const peerName = (p: Peer) => (p.namespace ? `${p.namespace}/${p.workload}` : p.workload);

/** The request direction of a flow: replies swap ends and use the source port. */
function oriented(r: FlowRecord): { from: Peer; to: Peer; port?: number } {
  if (r.isReply) return { from: r.destination, to: r.source, ...(r.sourcePort ? { port: r.sourcePort } : {}) };
  return { from: r.source, to: r.destination, ...(r.destinationPort ? { port: r.destinationPort } : {}) };
}

const inc = (map: Record<string, number>, key: string, by = 1) => {
  map[key] = (map[key] ?? 0) + by;
};
const addUnique = (list: string[], value: string | undefined, max = 10) => {
  if (value && !list.includes(value) && list.length < max) list.push(value);
};

/**
 * The moment flows are judged at: a connection opened within REPLY_GRACE_MS
 * of it is too new to call unanswered. One moment for all, or one per opening
 * flow (answers read in parts that reach different moments: an opening is
 * judged by how far the part that brought it reached, since its answer would
 * have come in that part).
 */
export type AsOf = number | ((opening: FlowRecord) => number | undefined);

/**
 * `asOf` says when the flows are judged (see AsOf); by default at the
 * newest flow, so that an observer running behind is judged on what it has shown.
 */
export function summariseFlows(records: FlowRecord[], lost = 0, maxGroups = 20, asOf?: AsOf): FlowSummary {
  const byVerdict: Record<string, number> = {};
  const byDropReason: Record<string, number> = {};
  const dropsByNode: Record<string, number> = {};
  const drops = new Map<string, DropGroup>();
  const pairs = new Map<string, PairTraffic>();
  const http = new Map<string, HttpStats & { latencies: number[] }>();
  const conversations = new Map<string, Conversation>();
  const times: string[] = [];
  const judgeOf = typeof asOf === 'function' ? asOf : () => asOf;

  for (const r of records) {
    if (r.time) times.push(r.time);
    if (r.http) {
      countHttp(http, r);
      continue; // L7 events describe requests, not packets
    }
    inc(byVerdict, r.verdict);
    const { from, to, port } = oriented(r);
    const pairKey = `${peerName(from)}>${peerName(to)}>${r.protocol}/${port ?? ''}`;
    const pair = pairs.get(pairKey) ?? {
      source: peerName(from),
      destination: peerName(to),
      protocol: r.protocol,
      ...(port ? { port } : {}),
      forwarded: 0,
      dropped: 0,
      syns: 0,
    };
    if (r.tcpFlags.includes('SYN') && !r.tcpFlags.includes('ACK')) pair.syns++;
    if (r.verdict !== 'DROPPED') track(conversations, r, pair, judgeOf);
    if (r.verdict === 'DROPPED') {
      pair.dropped++;
      const reason = r.dropReason ?? 'unknown';
      inc(byDropReason, reason);
      if (r.node) inc(dropsByNode, r.node);
      const key = `${pairKey}>${reason}`;
      const group = drops.get(key) ?? {
        source: pair.source,
        destination: pair.destination,
        protocol: r.protocol,
        ...(port ? { port } : {}),
        reason,
        count: 0,
        nodes: [],
        sourcePods: [],
        destinationPods: [],
        sourceLabels: podLabels(from),
        destinationLabels: podLabels(to),
      };
      group.count++;
      addUnique(group.nodes, r.node);
      addUnique(group.sourcePods, from.pod);
      addUnique(group.destinationPods, to.pod);
      drops.set(key, group);
    } else if (r.verdict === 'FORWARDED' || r.verdict === 'REDIRECTED' || r.verdict === 'TRACED') {
      pair.forwarded++;
    }
    pairs.set(pairKey, pair);
  }
  const byCount = <T extends { count?: number; forwarded?: number; dropped?: number }>(
    a: T,
    b: T,
    ka: string,
    kb: string,
  ) =>
    (b.count ?? (b.forwarded ?? 0) + (b.dropped ?? 0)) - (a.count ?? (a.forwarded ?? 0) + (a.dropped ?? 0)) ||
    ka.localeCompare(kb);
  const sortedDrops = [...drops.entries()].sort(([ka, a], [kb, b]) => byCount(a, b, ka, kb)).map(([, g]) => g);
  const sortedPairs = [...pairs.entries()].sort(([ka, a], [kb, b]) => byCount(a, b, ka, kb)).map(([, p]) => p);
  times.sort();
  return {
    flows: records.length,
    lost,
    byVerdict,
    byDropReason,
    drops: sortedDrops.slice(0, maxGroups),
    pairs: sortedPairs.slice(0, maxGroups * 2),
    connections: connectionStats(conversations, newest(times)).slice(0, maxGroups),
    dropsByNode,
    http: [...http.values()]
      .map(({ latencies, ...rest }) => ({
        ...rest,
        ...(latencies.length ? { p95Ms: percentile(latencies, 0.95) } : {}),
      }))
      .sort((a, b) => a.destination.localeCompare(b.destination)),
    ...(times.length ? { window: { first: times[0] as string, last: times[times.length - 1] as string } } : {}),
  };
}

/** One client port's conversation with a server port, as the flows show it. */
interface Conversation {
  pair: PairTraffic;
  opened: boolean;
  /** When the opening SYN (or first datagram) was seen, ms. */
  openedAt?: number;
  /** The latest moment one of its openings is judged at (see AsOf). */
  judgedAt?: number;
  answered: boolean;
  refused: boolean;
  sourcePod?: string;
  destinationPod?: string;
  node?: string;
}

function track(
  conversations: Map<string, Conversation>,
  r: FlowRecord,
  pair: PairTraffic,
  judgeOf: (opening: FlowRecord) => number | undefined,
): void {
  const client = r.isReply ? r.destination : r.source;
  const server = r.isReply ? r.source : r.destination;
  const clientPort = r.isReply ? r.destinationPort : r.sourcePort;
  const serverPort = r.isReply ? r.sourcePort : r.destinationPort;
  if (!client.ip || !server.ip || !clientPort || !serverPort) return;
  if (r.protocol !== 'TCP' && r.protocol !== 'UDP') return;
  const key = `${client.ip}:${clientPort}>${server.ip}:${serverPort}/${r.protocol}`;
  const c = conversations.get(key) ?? { pair, opened: false, answered: false, refused: false };
  if (r.isReply) {
    c.answered = true;
    if (r.tcpFlags.includes('RST')) c.refused = true;
  } else {
    // A TCP connection opens with a SYN; a UDP conversation with its first datagram.
    if (r.protocol === 'UDP' || (r.tcpFlags.includes('SYN') && !r.tcpFlags.includes('ACK'))) {
      c.opened = true;
      const at = r.time ? Date.parse(r.time) : NaN;
      if (!Number.isNaN(at) && (c.openedAt === undefined || at < c.openedAt)) c.openedAt = at;
      const judged = judgeOf(r);
      if (judged !== undefined && (c.judgedAt === undefined || judged > c.judgedAt)) c.judgedAt = judged;
    }
    c.sourcePod ??= client.pod;
    c.destinationPod ??= server.pod;
    c.node ??= r.node;
  }
  conversations.set(key, c);
}

function connectionStats(conversations: Map<string, Conversation>, newestMs: number | undefined): ConnectionStats[] {
  const byPair = new Map<string, ConnectionStats>();
  const opened = new Map<string, { at?: number; answered: boolean }[]>();
  for (const c of conversations.values()) {
    if (!c.opened) continue;
    // Too new to tell: its answer may not have been seen yet.
    const judged = c.judgedAt ?? newestMs;
    if (!c.answered && judged !== undefined && c.openedAt !== undefined && judged - c.openedAt < REPLY_GRACE_MS)
      continue;
    const key = `${c.pair.source}>${c.pair.destination}>${c.pair.protocol}/${c.pair.port ?? ''}`;
    const stats = byPair.get(key) ?? {
      source: c.pair.source,
      destination: c.pair.destination,
      protocol: c.pair.protocol,
      ...(c.pair.port ? { port: c.pair.port } : {}),
      attempts: 0,
      answered: 0,
      refused: 0,
      sourcePods: [],
      destinationPods: [],
      nodes: [],
      trailingLoss: { unanswered: 0 },
    };
    stats.attempts++;
    if (c.answered) stats.answered++;
    if (c.refused) stats.refused++;
    addUnique(stats.sourcePods, c.sourcePod);
    addUnique(stats.destinationPods, c.destinationPod);
    addUnique(stats.nodes, c.node);
    byPair.set(key, stats);
    const list = opened.get(key) ?? [];
    list.push({ ...(c.openedAt !== undefined ? { at: c.openedAt } : {}), answered: c.answered });
    opened.set(key, list);
  }
  for (const [key, stats] of byPair) {
    const list = opened.get(key) ?? [];
    // Without times there is no telling what came last.
    if (list.some((c) => c.at === undefined)) continue;
    list.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    let first = list.length;
    while (first > 0 && !list[first - 1]?.answered) first--;
    const at = list[first]?.at;
    const last = list[list.length - 1]?.at;
    stats.trailingLoss = {
      unanswered: list.length - first,
      ...(at !== undefined ? { since: new Date(at).toISOString() } : {}),
      ...(at !== undefined && last !== undefined && first < list.length ? { spanMs: last - at } : {}),
    };
  }
  const unanswered = (c: ConnectionStats) => c.attempts - c.answered;
  return [...byPair.entries()]
    .sort(([ka, a], [kb, b]) => unanswered(b) - unanswered(a) || b.attempts - a.attempts || ka.localeCompare(kb))
    .map(([, c]) => c);
}

function newest(times: string[]): number | undefined {
  let max: number | undefined;
  for (const t of times) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && (max === undefined || ms > max)) max = ms;
  }
  return max;
}

function countHttp(http: Map<string, HttpStats & { latencies: number[] }>, r: FlowRecord): void {
  if (!r.http || r.http.code === undefined || r.http.code === 0) return; // requests carry no code
  // A response travels from the server back: the server is the flow's source unless marked otherwise.
  const server = r.isReply === false ? r.destination : r.source;
  const key = peerName(server);
  const stats = http.get(key) ?? { destination: key, responses: 0, errors: 0, byCode: {}, latencies: [] };
  stats.responses++;
  if (r.http.code >= 500) stats.errors++;
  inc(stats.byCode, String(r.http.code));
  if (r.http.latencyMs !== undefined) stats.latencies.push(r.http.latencyMs);
  http.set(key, stats);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** Words for a drop reason. */
export function reasonText(reason: string): string {
  if (reason === 'POLICY_DENIED' || reason === 'POLICY_DENY') return `${reason} (network policy)`;
  return reason;
}
