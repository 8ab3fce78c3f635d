// A drop event of the policy datapath as the Hubble stand-in's flow, the way
// Hubble reports Cilium's own drop for the same packet: verdict DROPPED,
// drop_reason 133/181 with its name, event type 1 (drop) with the reason as
// sub-type, the direction of the endpoint that dropped it, both endpoints
// with the identities the datapath saw and their labels, the dropping
// endpoint's ID and the interface it was dropped on.
import { randomUUID } from 'node:crypto';
import type { EndpointInfo, EndpointSource, FlowMessage, FlowStore } from '../hubble/index.ts';
import { DROP_REASON_NAMES } from './compile.ts';
import type { Datapath } from './datapath.ts';
import type { DropEvent } from './reader.ts';
import type { Identity } from './identity.ts';

/** Cilium's monitor message type of a drop (MessageTypeDrop). */
const EVENT_DROP = 1;
const PROTOCOLS: Record<number, 'TCP' | 'UDP' | 'SCTP'> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };
const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;

/** The TCP flags byte as Hubble's TCPFlags: only the set ones. */
export const tcpFlags = (byte: number) =>
  Object.fromEntries(TCP_FLAGS.flatMap((f, i) => (byte & (1 << i) ? [[f, true]] : [])));

export interface DropContext {
  /** Who is behind an address (the stand-in's own source, so names agree with its other flows). */
  endpoints: EndpointSource;
  /** The compiled identities: labels of CIDR and reserved identities the stand-in does not know. */
  identities?: ReadonlyMap<number, Identity>;
  /** The node the dropping endpoint runs on, when the stand-in does not know the pod. */
  node?: string;
  /** The interface's name (the host-side veth), when known. */
  ifname?: string;
  /** The wall-clock time of the drop (default: from the event's monotonic time). */
  at?: Date;
}

/** A kernel CLOCK_MONOTONIC time (bpf_ktime_get_ns) on the wall clock. */
export function wallClock(ktimeNs: number, nowMs = Date.now(), monoNowNs = Number(process.hrtime.bigint())): Date {
  return new Date(nowMs - (monoNowNs - ktimeNs) / 1e6);
}

/** One side of a flow: the stand-in's names, the identity the datapath (or proxy) saw, its labels. */
export function flowEndpoint(
  info: EndpointInfo,
  identity: number,
  ctx: DropContext,
  id?: number,
): Record<string, unknown> {
  // The datapath's identity wins: an address the stand-in calls world may be a CIDR identity of a policy.
  const known = info.identity === identity ? undefined : ctx.identities?.get(identity);
  const labels = known ? known.labels : info.labels;
  return {
    ...(id === undefined ? {} : { ID: id }),
    identity,
    ...(info.namespace && !known ? { namespace: info.namespace } : {}),
    labels,
    ...(info.pod && !known ? { pod_name: info.pod } : {}),
    ...(info.workload && !known ? { workloads: [info.workload] } : {}),
  };
}

export function dropToFlow(e: DropEvent, ctx: DropContext): FlowMessage {
  const at = ctx.at ?? wallClock(e.ktimeNs);
  const time = { seconds: String(Math.floor(at.getTime() / 1000)), nanos: (at.getTime() % 1000) * 1e6 };
  const src = ctx.endpoints.byIp(e.src, e.sport);
  const dst = ctx.endpoints.byIp(e.dst, e.dport);
  const local = e.egress ? src : dst;
  const nodeName = local.node ?? ctx.node ?? 'lab-host';
  const ports = { source_port: e.sport, destination_port: e.dport };
  const proto = PROTOCOLS[e.proto];
  const reason = DROP_REASON_NAMES[e.reason] ?? 'DROP_REASON_UNKNOWN';
  return {
    flow: {
      time,
      uuid: randomUUID(),
      verdict: 'DROPPED',
      drop_reason: e.reason,
      drop_reason_desc: reason,
      IP: { source: e.src, destination: e.dst, ipVersion: 'IPv4' },
      ...(proto ? { l4: { [proto]: proto === 'TCP' ? { ...ports, flags: tcpFlags(e.tcpFlags) } : ports } } : {}),
      source: flowEndpoint(src, e.srcIdentity, ctx, e.egress ? e.endpoint : undefined),
      destination: flowEndpoint(dst, e.dstIdentity, ctx, e.egress ? undefined : e.endpoint),
      Type: 'L3_L4',
      node_name: nodeName,
      event_type: { type: EVENT_DROP, sub_type: e.reason },
      traffic_direction: e.egress ? 'EGRESS' : 'INGRESS',
      interface: { index: e.ifindex, ...(ctx.ifname ? { name: ctx.ifname } : {}) },
    },
    node_name: nodeName,
    time,
  };
}

/**
 * Feed a store with the datapath's drops as they happen. `context` is read
 * per event, so it can follow the cluster (identities recompiled, pods
 * moved). Resolves once the reader listens; call the result to stop.
 */
export function feedDrops(
  datapath: Pick<Datapath, 'watch'>,
  store: FlowStore,
  context: (e: DropEvent) => DropContext,
  onError?: (err: Error) => void,
): Promise<() => void> {
  return datapath.watch((e) => {
    const message = dropToFlow(e, context(e));
    store.push([message], Number(message.time.seconds) * 1000 + message.time.nanos / 1e6);
  }, onError);
}
