// A client for Hubble Relay's Observer API (GetFlows). It does not know
// whether it talks to Cilium's relay or the lab's stand-in.
import { credentials, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { observerService } from './proto.ts';
import { fromWire, toRecord, type FlowRecord, type PeerCache } from './records.ts';

export interface FlowFilter {
  source_pod?: string[];
  destination_pod?: string[];
  source_ip?: string[];
  destination_ip?: string[];
  verdict?: string[];
  source_label?: string[];
  destination_label?: string[];
  protocol?: string[];
  source_port?: string[];
  destination_port?: string[];
  node_name?: string[];
  /** HTTP responses whose code is one of these ("404") or starts with one ("5+"); requests never match. */
  http_status_code?: string[];
  reply?: boolean[];
  /** Flows whose TCP flags include all flags of any one of these sets (Hubble's semantics). */
  tcp_flags?: Partial<Record<'SYN' | 'ACK' | 'FIN' | 'RST' | 'PSH', boolean>>[];
}

export interface FlowQuery {
  since?: Date;
  until?: Date;
  /** Most recent N flows; Hubble refuses number together with since/until. */
  number?: number;
  whitelist?: FlowFilter[];
  blacklist?: FlowFilter[];
}

export interface FlowAnswer {
  records: FlowRecord[];
  lost: number;
  /** Stopped at maxFlows or the deadline rather than at the end of the stream. */
  truncated: boolean;
}

export interface HubbleClient {
  address: string;
  getFlows(
    query: FlowQuery,
    options: { deadline: number; maxFlows: number; signal?: AbortSignal; raw?: (message: unknown) => void },
  ): Promise<FlowAnswer>;
  close(): void;
}

/** Filters the way `hubble observe --namespace X` builds them: source pod "X/" OR destination pod "X/". */
export function namespaceFilters(namespace: string, extra: FlowFilter = {}): FlowFilter[] {
  return [
    { ...extra, source_pod: [`${namespace}/`] },
    { ...extra, destination_pod: [`${namespace}/`] },
  ];
}

const timestamp = (d: Date) => ({ seconds: String(Math.floor(d.getTime() / 1000)), nanos: (d.getTime() % 1000) * 1e6 });

export function createHubbleClient(
  address: string,
  creds: ChannelCredentials = credentials.createInsecure(),
): HubbleClient {
  const { Observer } = observerService();
  const client = new Observer(address, creds);
  return {
    address,
    close: () => client.close(),
    getFlows(query, options) {
      const request = {
        ...(query.number ? { number: String(query.number) } : {}),
        ...(query.since ? { since: timestamp(query.since) } : {}),
        ...(query.until ? { until: timestamp(query.until) } : {}),
        whitelist: query.whitelist ?? [],
        blacklist: query.blacklist ?? [],
      };
      return new Promise((resolve, reject) => {
        const stream = (
          client as unknown as { GetFlows(req: unknown, opts: { deadline: number }): ClientReadableStream<unknown> }
        ).GetFlows(request, {
          deadline: options.deadline,
        });
        const records: FlowRecord[] = [];
        const peers: PeerCache = new Map();
        let lost = 0;
        let done = false;
        const finish = (truncated: boolean) => {
          if (done) return;
          done = true;
          stream.cancel();
          resolve({ records, lost, truncated });
        };
        options.signal?.addEventListener('abort', () => finish(true), { once: true });
        stream.on('data', (message: unknown) => {
          options.raw?.(message);
          const response = fromWire(message);
          if (!response) return;
          if (response.lost_events) lost += Number(response.lost_events.num_events_lost ?? 0);
          if (response.flow) records.push(toRecord(response.flow, response.node_name, peers));
          if (records.length >= options.maxFlows) finish(true);
        });
        stream.on('end', () => finish(false));
        stream.on('error', (err: ServiceError) => {
          if (done) return;
          // A deadline after some flows is a truncated answer, not a failure.
          if (err.code === 4 && records.length > 0) return finish(true);
          done = true;
          reject(err);
        });
      });
    },
  };
}
