// From flowtap's per-flow counters to Hubble flow events, as Cilium's Hubble
// would show the same packets. Like Hubble's monitor aggregation, forwarded
// traffic is one event per flow, per observation point, per tick, with the
// TCP flags seen: leaving the source pod (FROM_ENDPOINT, on its node) and
// arriving at the destination pod (TO_ENDPOINT, on its node). A packet lost
// between the two shows as the first without the second, and a connection
// whose SYN is lost has no SYN-ACK. Nothing here is reported as DROPPED:
// Hubble reports only Cilium's own drops, and the lab's are its policy
// datapath's, which come as drop events (policy-drops.ts). HTTP requests and
// answers become L7 events.
import { randomUUID } from 'node:crypto';
import type { TapRecord } from './flowtap.ts';
import type { EndpointInfo, EndpointSource } from './endpoints.ts';
import type { FlowView } from './filter.ts';

export interface FlowMessage {
  flow: FlowView & Record<string, unknown>;
  node_name: string;
  time: { seconds: string; nanos: number };
}

export interface Delta {
  record: TapRecord;
  tx: number;
  rx: number;
  drops: number;
  syn: number;
  fin: number;
  rst: number;
  requests: number;
  status: number[];
  latencyNs: number;
  latencyCount: number;
}

const TOTALS = ['tx', 'rx', 'drops', 'syn', 'fin', 'rst', 'httpRequests', 'latencyNs', 'latencyCount'] as const;

/**
 * Counters since the previous record of the same flow. A new flow counts
 * from zero, and so does one whose totals went down: the kernel's LRU let
 * the old entry go and the same addresses and ports began a new one.
 */
export function delta(now: TapRecord, previous: TapRecord | undefined): Delta {
  const before = previous && TOTALS.some((k) => now[k] < previous[k]) ? undefined : previous;
  const d = (k: (typeof TOTALS)[number]) => Math.max(0, now[k] - (before?.[k] ?? 0));
  return {
    record: now,
    tx: d('tx'),
    rx: d('rx'),
    drops: d('drops'),
    syn: d('syn'),
    fin: d('fin'),
    rst: d('rst'),
    requests: d('httpRequests'),
    status: now.httpStatus.map((n, i) => Math.max(0, n - (before?.httpStatus[i] ?? 0))),
    latencyNs: d('latencyNs'),
    latencyCount: d('latencyCount'),
  };
}

/**
 * The last totals of every flow the kernel may still hold, so each tick
 * reports only what changed. A flow that updates moves to the newest end;
 * past `capacity` the longest-quiet flows are forgotten. Forgetting a flow
 * the kernel still holds would report its old totals as new the next time
 * it changes (a new connection on the same ports, carrying an earlier
 * fault's drops). The kernel's map is an LRU of FLOWTAP_FLOWS entries, so
 * twice that covers every flow it still holds.
 */
export class FlowBaseline {
  private readonly last = new Map<string, TapRecord>();
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** What changed in `record` since this flow's previous record. */
  next(key: string, record: TapRecord): Delta {
    const d = delta(record, this.last.get(key));
    this.last.delete(key);
    this.last.set(key, record);
    // One in, at most one out: the quietest flow is the first in the map.
    const quietest = this.last.size > this.capacity ? this.last.keys().next().value : undefined;
    if (quietest !== undefined) this.last.delete(quietest);
    return d;
  }

  /** Take totals as the baseline without reporting them (a program loaded before us). */
  prime(key: string, record: TapRecord): void {
    this.last.set(key, record);
  }

  get size(): number {
    return this.last.size;
  }
}

const MAX_PER_KIND = 50;
const EPHEMERAL = 32768;

function endpoint(e: EndpointInfo): Record<string, unknown> {
  return {
    identity: e.identity,
    ...(e.namespace ? { namespace: e.namespace } : {}),
    labels: e.labels,
    ...(e.pod ? { pod_name: e.pod } : {}),
    ...(e.workload ? { workloads: [e.workload] } : {}),
  };
}

export interface Context {
  endpoints: EndpointSource;
  at: Date;
  /** Whether the L7 proxy of the pod at `server` sees `client`'s connections to `port`. */
  l7Proxied?: (server: string, port: number, client: string) => boolean;
}

export function toFlows(d: Delta, ctx: Context): FlowMessage[] {
  const r = d.record;
  const src = ctx.endpoints.byIp(r.src, r.sport);
  const dst = ctx.endpoints.byIp(r.dst, r.dport);
  const time = { seconds: String(Math.floor(ctx.at.getTime() / 1000)), nanos: (ctx.at.getTime() % 1000) * 1e6 };
  const tcp = r.proto === 6;
  const ports = { source_port: r.sport, destination_port: r.dport };
  const isReply = r.sport < EPHEMERAL && r.dport >= EPHEMERAL;
  const base = (node: string | undefined, extra: Record<string, unknown>): FlowMessage => {
    const nodeName = node ?? 'lab-host';
    return {
      flow: {
        time,
        uuid: randomUUID(),
        IP: { source: r.src, destination: r.dst, ipVersion: 'IPv4' },
        source: endpoint(src),
        destination: endpoint(dst),
        node_name: nodeName,
        is_reply: { value: isReply },
        ...extra,
      },
      node_name: nodeName,
      time,
    };
  };
  const l4 = (flags: Record<string, boolean> = {}) => (tcp ? { TCP: { ...ports, flags } } : { UDP: ports });
  const out: FlowMessage[] = [];
  const proxied = ctx.l7Proxied?.(r.dst, r.dport, r.src) || ctx.l7Proxied?.(r.src, r.sport, r.dst);

  if (d.tx + d.rx > 0) {
    const flags = { SYN: d.syn > 0, FIN: d.fin > 0, RST: d.rst > 0, ACK: !(d.syn > 0 && !isReply) };
    const l4Flags = l4(Object.fromEntries(Object.entries(flags).filter(([, v]) => v)));
    if (d.tx > 0)
      out.push(
        base(src.node, {
          verdict: 'FORWARDED',
          Type: 'L3_L4',
          l4: l4Flags,
          event_type: { type: 4, sub_type: 0 },
          traffic_direction: isReply ? 'INGRESS' : 'EGRESS',
          trace_observation_point: 'FROM_ENDPOINT',
        }),
      );
    if (d.rx > 0)
      out.push(
        base(dst.node, {
          verdict: 'FORWARDED',
          Type: 'L3_L4',
          l4: l4Flags,
          event_type: { type: 4, sub_type: 3 },
          traffic_direction: isReply ? 'EGRESS' : 'INGRESS',
          trace_observation_point: 'TO_ENDPOINT',
        }),
      );
  }
  if (proxied) return out;
  for (let i = 0; i < Math.min(d.requests, MAX_PER_KIND); i++) {
    out.push(
      base(src.node, {
        verdict: 'FORWARDED',
        Type: 'L7',
        l4: l4(),
        l7: { type: 'REQUEST', http: { method: r.method, url: r.path, protocol: 'HTTP/1.1' } },
        event_type: { type: 129, sub_type: 0 },
        is_reply: { value: false },
      }),
    );
  }
  const latency = d.latencyCount > 0 ? String(Math.round(d.latencyNs / d.latencyCount)) : undefined;
  d.status.forEach((count, klass) => {
    for (let i = 0; i < Math.min(count, MAX_PER_KIND); i++) {
      out.push(
        base(src.node, {
          verdict: 'FORWARDED',
          Type: 'L7',
          l4: l4(),
          l7: {
            type: 'RESPONSE',
            ...(latency ? { latency_ns: latency } : {}),
            http: { code: klass ? klass * 100 : 0, protocol: 'HTTP/1.1' },
          },
          event_type: { type: 129, sub_type: 0 },
          is_reply: { value: true },
        }),
      );
    }
  });
  return out;
}
