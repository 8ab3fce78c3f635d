// What an L7 proxy needs to know of one endpoint, and the decisions it makes
// with it: which clients the pod's nftables table sends to the proxy, and
// whether a request is allowed. The agent writes one config file per
// L7-enforced pod (l7-compile.ts); the proxy (l7-proxy.ts) and the Hubble
// stand-in read it back through `l7ConfigSchema`. Light on purpose: the
// proxy loads this at every start.
import { z } from 'zod';
import { lookupOrder } from './lookup.ts';
import { contains, parsePrefix } from './prefix.ts';

/** Cilium's reserved identity of an address no prefix covers. */
export const WORLD_IDENTITY = 2;
const TCP = 6;

const httpRuleSchema = z.object({
  method: z.string().optional(),
  path: z.string().optional(),
  host: z.string().optional(),
  headers: z.array(z.string()).optional(),
});
export type L7HttpRule = z.infer<typeof httpRuleSchema>;

const entrySchema = z.object({
  identity: z.number().int(),
  protocol: z.number().int(),
  port: z.number().int(),
  deny: z.boolean(),
  http: z.array(httpRuleSchema).optional(),
});
export type L7Entry = z.infer<typeof entrySchema>;

export const l7ConfigSchema = z.object({
  endpoint: z.object({
    id: z.number().int(),
    namespace: z.string(),
    pod: z.string(),
    identity: z.number().int(),
    ips: z.array(z.string()),
  }),
  /** Prefix → identity, the datapath's ipcache. */
  ipcache: z.array(z.object({ prefix: z.string(), identity: z.number().int() })),
  /** The endpoint's ingress entries that TCP to an enforced port can meet. */
  entries: z.array(entrySchema),
  ports: z.array(
    z.object({
      /** The enforced port (the application's). */
      port: z.number().int().min(1).max(65535),
      /** Where the proxy listens for it in the pod's namespace. */
      proxyPort: z.number().int().min(1).max(65535),
      /** Clients sent to the proxy (or not), longest prefix first; the last is 0.0.0.0/0. */
      sources: z.array(z.object({ prefix: z.string(), proxy: z.boolean() })),
    }),
  ),
});
export type L7Config = z.infer<typeof l7ConfigSchema>;

/** The identity the ipcache gives a client: the longest prefix, else world. */
export function clientIdentity(config: Pick<L7Config, 'ipcache'>, ip: string): number {
  const addr = parsePrefix(ip);
  let best: { len: number; id: number } | undefined;
  for (const { prefix, identity } of config.ipcache) {
    const p = parsePrefix(prefix);
    if (contains(p, addr) && (!best || p.len > best.len)) best = { len: p.len, id: identity };
  }
  return best?.id ?? WORLD_IDENTITY;
}

/** The entry the datapath picks for TCP from `identity` to `port` (its lookup order), if any. */
export function entryFor(config: Pick<L7Config, 'entries'>, identity: number, port: number): L7Entry | undefined {
  for (const [id, protocol, p] of lookupOrder(identity, TCP, port)) {
    const entry = config.entries.find((e) => e.identity === id && e.protocol === protocol && e.port === p);
    if (entry) return entry;
  }
  return undefined;
}

/** Whether the pod's table sends this client's connection to `port` to the proxy. */
export function redirected(config: L7Config, clientIp: string, port: number): boolean {
  const addr = parsePrefix(clientIp);
  const sources = config.ports.find((p) => p.port === port)?.sources ?? [];
  return sources.find((s) => contains(parsePrefix(s.prefix), addr))?.proxy ?? false;
}

export interface HttpRequestView {
  method: string;
  /** The request target as sent (path and query), which Cilium's path rule matches. */
  path: string;
  host?: string;
  headers?: Record<string, string | string[] | undefined>;
}

const compiled = new Map<string, RegExp | undefined>();
/** A rule's regular expression, fully anchored as Envoy matches it; an invalid one matches nothing. */
function anchored(source: string): RegExp | undefined {
  if (!compiled.has(source)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${source})$`);
    } catch {
      re = undefined;
    }
    compiled.set(source, re);
  }
  return compiled.get(source);
}

const fullMatch = (pattern: string | undefined, value: string) =>
  pattern === undefined || pattern === '' || (anchored(pattern)?.test(value) ?? false);

/** Cilium's header rule: "Name" must be present, "Name: value" (or "Name value") present with that value. */
function headerMatches(rule: string, headers: HttpRequestView['headers'] = {}): boolean {
  const [rawKey = '', ...rest] = rule.trim().split(/\s+/);
  const key = rawKey.replace(/:$/, '').toLowerCase();
  const value = rest.join(' ');
  const got = headers[key];
  const values = got === undefined ? [] : Array.isArray(got) ? got : [got];
  return value === '' ? values.length > 0 : values.includes(value);
}

export function ruleMatches(rule: L7HttpRule, req: HttpRequestView): boolean {
  return (
    fullMatch(rule.method, req.method) &&
    fullMatch(rule.path, req.path) &&
    fullMatch(rule.host, req.host ?? '') &&
    (rule.headers ?? []).every((h) => headerMatches(h, req.headers))
  );
}

export interface L7Decision {
  allowed: boolean;
  /** The client's identity, as the datapath saw it. */
  identity: number;
  entry?: L7Entry;
}

/**
 * Whether the proxy lets a request through: the entry the datapath chose for
 * the client's identity and port allows it with no HTTP rules, or one of
 * its rules matches. No entry, or a deny, is a denial (the datapath would
 * have dropped the connection already).
 */
export function decideL7(config: L7Config, clientIp: string, port: number, req: HttpRequestView): L7Decision {
  const identity = clientIdentity(config, clientIp);
  const entry = entryFor(config, identity, port);
  const allowed = !!entry && !entry.deny && (entry.http === undefined || entry.http.some((r) => ruleMatches(r, req)));
  return { allowed, identity, ...(entry ? { entry } : {}) };
}
