// What an L7 proxy writes for each request and answer (one JSON line each,
// as Envoy's access log entries reach Cilium's agent), and that entry as
// the Hubble flow Cilium makes of it (pkg/hubble/parser/seven): Type L7,
// event type 129 (access log), l7.type REQUEST or RESPONSE, the HTTP
// method, URL (http://<host><path>) and protocol, the code and latency on
// the response. A request the policy denies is a DROPPED request; the
// proxy's own 403 answer to it is a FORWARDED response, as Hubble shows
// Envoy's. A response goes from the server to the client (Cilium swaps
// Envoy's addresses for it), observed at the pod's ingress.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FlowMessage } from '../hubble/index.ts';
import { flowEndpoint, type DropContext } from './events.ts';

/** Cilium's monitor message type of a proxy access log entry (MessageTypeAccessLog). */
export const EVENT_ACCESS_LOG = 129;

const peer = z.object({ ip: z.string(), port: z.number().int() });

export const l7EventSchema = z.object({
  type: z.enum(['REQUEST', 'RESPONSE']),
  verdict: z.enum(['FORWARDED', 'DROPPED', 'ERROR']),
  /** Unix time, ms (with a fraction). */
  atMs: z.number(),
  client: peer,
  /** The pod, at the enforced port the client connected to. */
  server: peer,
  clientIdentity: z.number().int(),
  serverIdentity: z.number().int(),
  /** The pod's endpoint id. */
  endpointId: z.number().int(),
  http: z.object({
    method: z.string(),
    url: z.string(),
    protocol: z.string(),
    code: z.number().int().optional(),
    headers: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  }),
  latencyNs: z.number().optional(),
});
export type L7Event = z.infer<typeof l7EventSchema>;

function summary(e: L7Event): string {
  const request = `${e.http.method} ${e.http.url}`;
  if (e.type === 'REQUEST') return `${e.http.protocol} ${request}`;
  return `${e.http.protocol} ${e.http.code ?? 0} ${Math.floor((e.latencyNs ?? 0) / 1e6)}ms (${request})`;
}

export function l7ToFlow(e: L7Event, ctx: DropContext): FlowMessage {
  const time = {
    seconds: String(Math.floor(e.atMs / 1000)),
    nanos: Math.min(999_999_999, Math.round((e.atMs % 1000) * 1e6)),
  };
  const response = e.type === 'RESPONSE';
  const [src, dst] = response ? [e.server, e.client] : [e.client, e.server];
  const [srcIdentity, dstIdentity] = response
    ? [e.serverIdentity, e.clientIdentity]
    : [e.clientIdentity, e.serverIdentity];
  const srcInfo = ctx.endpoints.byIp(src.ip, src.port);
  const dstInfo = ctx.endpoints.byIp(dst.ip, dst.port);
  const nodeName = (response ? srcInfo : dstInfo).node ?? ctx.node ?? 'lab-host';
  const { headers, code, ...http } = e.http;
  return {
    flow: {
      time,
      uuid: randomUUID(),
      verdict: e.verdict,
      IP: { source: src.ip, destination: dst.ip, ipVersion: 'IPv4' },
      l4: { TCP: { source_port: src.port, destination_port: dst.port } },
      source: flowEndpoint(srcInfo, srcIdentity, ctx, response ? e.endpointId : undefined),
      destination: flowEndpoint(dstInfo, dstIdentity, ctx, response ? undefined : e.endpointId),
      Type: 'L7',
      node_name: nodeName,
      l7: {
        type: e.type,
        ...(response && e.latencyNs !== undefined ? { latency_ns: String(Math.round(e.latencyNs)) } : {}),
        http: { ...(response && code !== undefined ? { code } : {}), ...http, ...(headers ? { headers } : {}) },
      },
      event_type: { type: EVENT_ACCESS_LOG },
      traffic_direction: 'INGRESS',
      is_reply: { value: response },
      Summary: summary(e),
    },
    node_name: nodeName,
    time,
  };
}
