// One reader for Hubble flows from either source: GetFlowsResponse objects
// off the gRPC stream, or `hubble observe -o json` lines (protojson with proto
// field names, enums as strings, 64-bit integers as strings, zero values
// omitted). Both become FlowRecords, the summariser's input.
import { z } from 'zod';

const timeSchema = z.union([
  z.string(),
  z.object({ seconds: z.union([z.string(), z.number()]).optional(), nanos: z.number().optional() }).loose(),
]);
const enumSchema = z.union([z.string(), z.number()]);
const portsSchema = z.object({ source_port: z.number().optional(), destination_port: z.number().optional() }).loose();

const endpointSchema = z
  .object({
    ID: z.number().optional(),
    identity: z.number().optional(),
    namespace: z.string().optional(),
    labels: z.array(z.string()).optional(),
    pod_name: z.string().optional(),
    workloads: z.array(z.object({ name: z.string().optional(), kind: z.string().optional() }).loose()).optional(),
  })
  .loose();

export const flowSchema = z
  .object({
    time: timeSchema.optional(),
    uuid: z.string().optional(),
    verdict: enumSchema.optional(),
    drop_reason: z.number().optional(),
    drop_reason_desc: enumSchema.optional(),
    IP: z.object({ source: z.string().optional(), destination: z.string().optional() }).loose().optional(),
    l4: z
      .object({
        TCP: portsSchema.extend({ flags: z.record(z.string(), z.boolean()).optional() }).optional(),
        UDP: portsSchema.optional(),
        SCTP: portsSchema.optional(),
        ICMPv4: z.object({}).loose().optional(),
        ICMPv6: z.object({}).loose().optional(),
      })
      .loose()
      .optional(),
    source: endpointSchema.optional(),
    destination: endpointSchema.optional(),
    Type: enumSchema.optional(),
    node_name: z.string().optional(),
    destination_names: z.array(z.string()).optional(),
    l7: z
      .object({
        type: enumSchema.optional(),
        latency_ns: z.union([z.string(), z.number()]).optional(),
        http: z
          .object({ code: z.number().optional(), method: z.string().optional(), url: z.string().optional() })
          .loose()
          .optional(),
        dns: z.object({ query: z.string().optional(), rcode: z.number().optional() }).loose().optional(),
      })
      .loose()
      .optional(),
    traffic_direction: enumSchema.optional(),
    is_reply: z.union([z.boolean(), z.object({ value: z.boolean().optional() }).loose()]).optional(),
    Summary: z.string().optional(),
  })
  .loose();

export const responseSchema = z
  .object({
    flow: flowSchema.optional(),
    lost_events: z
      .object({ num_events_lost: z.union([z.string(), z.number()]).optional() })
      .loose()
      .optional(),
    node_name: z.string().optional(),
    time: timeSchema.optional(),
  })
  .loose();

export type FlowObject = z.infer<typeof flowSchema>;
export type ResponseObject = z.infer<typeof responseSchema>;

/**
 * A GetFlowsResponse off the relay's stream, as our protos decode it
 * (LOADER_OPTIONS: proto field names, enums and 64-bit integers as strings,
 * zero values left out). The protobuf decoder has already given every field
 * its declared type, each one a type `responseSchema` accepts (the hubble
 * unit tests hold the two together), so the binary form is not checked a
 * second time: that check cost as much as the decoding (bench/flow-encode.ts).
 * Text forms (`hubble observe -o json`) go through `responseSchema`.
 */
export function fromWire(message: unknown): ResponseObject | undefined {
  return typeof message === 'object' && message !== null ? (message as ResponseObject) : undefined;
}

export interface Peer {
  namespace?: string;
  pod?: string;
  /** Deployment (or app label, or pod name without its hashes); "world"/"host"/IP outside pods. */
  workload: string;
  ip?: string;
  labels: Record<string, string>;
}

export interface FlowRecord {
  uuid?: string;
  time?: string;
  verdict: string;
  dropReason?: string;
  node?: string;
  source: Peer;
  destination: Peer;
  protocol: string;
  sourcePort?: number;
  destinationPort?: number;
  tcpFlags: string[];
  isReply?: boolean;
  http?: { code?: number; method?: string; url?: string; latencyMs?: number; type?: string };
  dns?: { query?: string; rcode?: number };
  summary?: string;
}

/** Verdict and drop-reason names by number, for inputs that print enums as numbers. */
const VERDICTS = ['VERDICT_UNKNOWN', 'FORWARDED', 'DROPPED', 'ERROR', 'AUDIT', 'REDIRECTED', 'TRACED', 'TRANSLATED'];
const DROP_REASONS: Record<number, string> = {
  133: 'POLICY_DENIED',
  181: 'POLICY_DENY',
};

function timeText(t: z.infer<typeof timeSchema> | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? t : new Date(ms).toISOString();
  }
  if (t.seconds === undefined) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

function labelMap(labels: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels ?? []) {
    const eq = label.indexOf('=');
    const key = eq < 0 ? label : label.slice(0, eq);
    out[key.replace(/^k8s:/, '')] = eq < 0 ? '' : label.slice(eq + 1);
  }
  return out;
}

/** A pod name without its ReplicaSet and pod hashes: checkout-frontend-7d9f8b6c4-x2x7q → checkout-frontend. */
export function podWorkload(pod: string): string {
  return pod.replace(/-[a-z0-9]{5,10}-[a-z0-9]{5}$/, '').replace(/-[a-z0-9]{5}$/, '');
}

/**
 * Peers already read, by everything a Peer is made of: a relay answer repeats
 * the same few endpoints thousands of times, and records may share a Peer
 * (nothing changes one after it is read).
 */
export type PeerCache = Map<string, Peer>;

function peer(e: z.infer<typeof endpointSchema> | undefined, ip: string | undefined, cache?: PeerCache): Peer {
  if (!cache) return readPeer(e, ip);
  // A security identity stands for one label set (Cilium derives it from the labels), so with one
  // the labels need not be read; the pod's workload goes with its name.
  const key = e?.identity
    ? `${e.identity}\0${e.pod_name ?? ''}\0${ip ?? ''}`
    : `\0${e?.namespace ?? ''}\0${e?.pod_name ?? ''}\0${e?.workloads?.[0]?.name ?? ''}\0${ip ?? ''}\0${e?.labels?.join('\0') ?? ''}`;
  let known = cache.get(key);
  if (!known) cache.set(key, (known = readPeer(e, ip)));
  return known;
}

function readPeer(e: z.infer<typeof endpointSchema> | undefined, ip: string | undefined): Peer {
  const labels = labelMap(e?.labels);
  const reserved = Object.keys(labels)
    .find((k) => k.startsWith('reserved:'))
    ?.slice('reserved:'.length);
  const workload =
    e?.workloads?.[0]?.name ?? labels.app ?? (e?.pod_name ? podWorkload(e.pod_name) : (reserved ?? ip ?? 'unknown'));
  return {
    ...(e?.namespace ? { namespace: e.namespace } : {}),
    ...(e?.pod_name ? { pod: e.pod_name } : {}),
    workload,
    ...(ip ? { ip } : {}),
    labels,
  };
}

const FLAG_ORDER = ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR', 'NS'];

export function toRecord(flow: FlowObject, nodeName?: string, peers?: PeerCache): FlowRecord {
  const verdict =
    typeof flow.verdict === 'number'
      ? (VERDICTS[flow.verdict] ?? String(flow.verdict))
      : (flow.verdict ?? 'VERDICT_UNKNOWN');
  const reasonRaw = flow.drop_reason_desc ?? flow.drop_reason;
  const dropReason = typeof reasonRaw === 'number' ? (DROP_REASONS[reasonRaw] ?? String(reasonRaw)) : reasonRaw;
  const l4 = flow.l4 ?? {};
  const protocol = l4.TCP
    ? 'TCP'
    : l4.UDP
      ? 'UDP'
      : l4.SCTP
        ? 'SCTP'
        : l4.ICMPv4
          ? 'ICMPv4'
          : l4.ICMPv6
            ? 'ICMPv6'
            : 'unknown';
  const ports = l4.TCP ?? l4.UDP ?? l4.SCTP;
  const flags = FLAG_ORDER.filter((f) => l4.TCP?.flags?.[f]);
  const isReply = typeof flow.is_reply === 'object' ? flow.is_reply.value : flow.is_reply;
  const http = flow.l7?.http;
  const latency = flow.l7?.latency_ns === undefined ? undefined : Number(flow.l7.latency_ns) / 1e6;
  const time = timeText(flow.time);
  const node = flow.node_name ?? nodeName;
  return {
    ...(flow.uuid ? { uuid: flow.uuid } : {}),
    ...(time ? { time } : {}),
    verdict,
    ...(verdict === 'DROPPED' && dropReason && dropReason !== 'DROP_REASON_UNKNOWN' ? { dropReason } : {}),
    ...(node ? { node } : {}),
    source: peer(flow.source, flow.IP?.source, peers),
    destination:
      flow.destination_names?.[0] && !flow.destination?.pod_name
        ? { ...peer(flow.destination, flow.IP?.destination, peers), workload: flow.destination_names[0] }
        : peer(flow.destination, flow.IP?.destination, peers),
    protocol,
    ...(ports?.source_port ? { sourcePort: ports.source_port } : {}),
    ...(ports?.destination_port ? { destinationPort: ports.destination_port } : {}),
    tcpFlags: flags,
    ...(isReply === undefined ? {} : { isReply }),
    ...(http
      ? {
          http: {
            ...http,
            ...(latency === undefined ? {} : { latencyMs: latency }),
            ...(flow.l7?.type !== undefined ? { type: String(flow.l7.type) } : {}),
          },
        }
      : {}),
    ...(flow.l7?.dns ? { dns: flow.l7.dns } : {}),
    ...(flow.Summary ? { summary: flow.Summary } : {}),
  };
}

export interface ParsedLines {
  records: FlowRecord[];
  lost: number;
  /** Lines that were not flows (with their line numbers): reported, never fatal. */
  skipped: { line: number; reason: string }[];
}

/** `hubble observe -o json` output: one GetFlowsResponse (or a bare Flow) per line. */
export function parseHubbleJson(text: string): ParsedLines {
  const out: ParsedLines = { records: [], lost: 0, skipped: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      out.skipped.push({ line: i + 1, reason: 'not JSON' });
      return;
    }
    const response = responseSchema.safeParse(json);
    if (!response.success) {
      out.skipped.push({ line: i + 1, reason: 'not a GetFlowsResponse' });
      return;
    }
    const r = response.data;
    if (r.lost_events) out.lost += Number(r.lost_events.num_events_lost ?? 0);
    const flow =
      r.flow ?? (flowSchema.safeParse(json).data?.verdict !== undefined ? flowSchema.parse(json) : undefined);
    if (flow) out.records.push(toRecord(flow, r.node_name));
    else if (!r.lost_events) out.skipped.push({ line: i + 1, reason: 'no flow in this line' });
  });
  return out;
}
