// Talks to one etcd member over its client URL: /health, /metrics, and the
// v3 gRPC gateway's JSON (maintenance/status, cluster/member/list), so no
// etcd-specific gRPC stubs are needed. Every answer is parsed with zod.
import { z } from 'zod';
import { httpText, type TlsFiles } from '../metrics/fetch.ts';
import { parsePrometheus, type Scrape } from '../metrics/prometheus.ts';

/** etcd's gateway prints uint64 as strings. */
const u64 = z.union([z.string(), z.number()]).transform((v) => Number(v));

const statusSchema = z.object({
  header: z.object({ member_id: z.string().optional(), raft_term: u64.optional() }).optional(),
  version: z.string().optional(),
  dbSize: u64.optional(),
  dbSizeInUse: u64.optional(),
  leader: z.string().optional(),
  raftIndex: u64.optional(),
  raftTerm: u64.optional(),
  raftAppliedIndex: u64.optional(),
  errors: z.array(z.string()).optional(),
  isLearner: z.boolean().optional(),
});

const healthSchema = z.object({ health: z.union([z.string(), z.boolean()]), reason: z.string().optional() });

const membersSchema = z.object({
  members: z
    .array(
      z.object({
        ID: z.string(),
        name: z.string().optional(),
        peerURLs: z.array(z.string()).optional(),
        clientURLs: z.array(z.string()).optional(),
      }),
    )
    .default([]),
});

export type EtcdStatus = z.infer<typeof statusSchema>;

/** A maintenance/status answer as the gateway prints it. */
export function parseEtcdStatus(json: unknown): EtcdStatus {
  return statusSchema.parse(json);
}
export type EtcdMemberInfo = z.infer<typeof membersSchema>['members'][number];
export interface EtcdHealth {
  healthy: boolean;
  reason?: string;
}

export interface EtcdClient {
  status(endpoint: string, timeoutMs: number): Promise<EtcdStatus>;
  health(endpoint: string, timeoutMs: number): Promise<EtcdHealth>;
  metrics(endpoint: string, timeoutMs: number): Promise<Scrape>;
  members(endpoint: string, timeoutMs: number): Promise<EtcdMemberInfo[]>;
}

export class EtcdAnswerError extends Error {
  readonly status: number;
  constructor(url: string, status: number, body: string) {
    super(`${url} answered ${status}: ${body.slice(0, 200).trim()}`);
    this.name = 'EtcdAnswerError';
    this.status = status;
  }
}

export function createEtcdClient(tls?: TlsFiles): EtcdClient {
  const get = async (url: string, timeoutMs: number, body?: string): Promise<string> => {
    const answer = await httpText(url, {
      timeoutMs,
      ...(body === undefined ? {} : { method: 'POST', body }),
      ...(tls ? { tls } : {}),
    });
    // /health answers 503 with a JSON reason when the member is unhealthy.
    if (answer.status >= 400 && !(url.endsWith('/health') && answer.status === 503)) {
      throw new EtcdAnswerError(url, answer.status, answer.body);
    }
    return answer.body;
  };
  const base = (endpoint: string) => endpoint.replace(/\/+$/, '');
  return {
    async status(endpoint, timeoutMs) {
      return parseEtcdStatus(JSON.parse(await get(`${base(endpoint)}/v3/maintenance/status`, timeoutMs, '{}')));
    },
    async health(endpoint, timeoutMs) {
      const parsed = healthSchema.parse(JSON.parse(await get(`${base(endpoint)}/health`, timeoutMs)));
      const healthy = parsed.health === true || parsed.health === 'true';
      return { healthy, ...(parsed.reason ? { reason: parsed.reason } : {}) };
    },
    async metrics(endpoint, timeoutMs) {
      return parsePrometheus(await get(`${base(endpoint)}/metrics`, timeoutMs));
    },
    async members(endpoint, timeoutMs) {
      return membersSchema.parse(JSON.parse(await get(`${base(endpoint)}/v3/cluster/member/list`, timeoutMs, '{}')))
        .members;
    },
  };
}

/** etcd prints member ids as decimal uint64; people read them in hex. */
export function hexId(id: string | undefined): string | undefined {
  if (id === undefined || !/^\d+$/.test(id)) return id;
  return BigInt(id).toString(16);
}
