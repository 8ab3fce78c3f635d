// Hubble's FlowFilter semantics for the fields the stand-in supports: all set
// fields must match (AND), each list matches when any element does (OR), a
// request's whitelist keeps flows matching any filter, its blacklist drops
// flows matching any filter.
import { z } from 'zod';
import { inCidr } from '../../activities/index.ts';

const list = z.array(z.string()).optional();

export const flowFilterSchema = z
  .object({
    source_ip: list,
    source_pod: list,
    destination_ip: list,
    destination_pod: list,
    verdict: z.array(z.union([z.string(), z.number()])).optional(),
    source_label: list,
    destination_label: list,
    protocol: list,
    source_port: list,
    destination_port: list,
    node_name: list,
    traffic_direction: z.array(z.union([z.string(), z.number()])).optional(),
    reply: z.array(z.boolean()).optional(),
    tcp_flags: z.array(z.record(z.string(), z.boolean())).optional(),
    http_status_code: list,
    event_type: z.array(z.object({ type: z.number().optional() }).loose()).optional(),
  })
  .loose();

export type FlowFilter = z.infer<typeof flowFilterSchema>;

export interface FlowView {
  verdict?: string;
  node_name?: string;
  traffic_direction?: string;
  Type?: string;
  IP?: { source?: string; destination?: string; ipVersion?: string };
  source?: { namespace?: string; pod_name?: string; labels?: string[] };
  destination?: { namespace?: string; pod_name?: string; labels?: string[] };
  is_reply?: { value?: boolean };
  l4?: {
    TCP?: { source_port?: number; destination_port?: number; flags?: Record<string, boolean> };
    UDP?: { source_port?: number; destination_port?: number };
  };
  l7?: { type?: string; latency_ns?: string; http?: { code?: number } & Record<string, unknown>; dns?: unknown };
}

const VERDICTS = ['VERDICT_UNKNOWN', 'FORWARDED', 'DROPPED', 'ERROR', 'AUDIT', 'REDIRECTED', 'TRACED', 'TRANSLATED'];
const DIRECTIONS = ['TRAFFIC_DIRECTION_UNKNOWN', 'INGRESS', 'EGRESS'];
const named = (v: string | number, names: string[]) => (typeof v === 'number' ? names[v] : v);

const podMatches = (patterns: string[], ep: FlowView['source']) =>
  patterns.some((p) => {
    const [ns, prefix = ''] = p.includes('/') ? p.split('/') : ['default', p];
    return ep?.namespace === ns && (ep?.pod_name ?? '').startsWith(prefix);
  });

const ipMatches = (patterns: string[], ip: string | undefined) =>
  ip !== undefined && patterns.some((p) => (p.includes('/') ? inCidr(ip, p) : p === ip));

/** "k8s:app=x" or "app=x" (a single equality; a comma means all of them). */
const labelMatches = (selectors: string[], labels: string[] | undefined) =>
  selectors.some((sel) =>
    sel.split(',').every((term) => {
      const want = term.trim().replace(/^(k8s|any):/, '');
      return (labels ?? []).some((l) => l.replace(/^k8s:/, '') === want);
    }),
  );

const glob = (pattern: string, text: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(text);

type Test = (flow: FlowView) => boolean;

/** A filter Hubble refuses; the server answers INVALID_ARGUMENT with the message. */
export class FilterError extends Error {}

/** Cilium's monitor message type of L7 (access log) events. */
const ACCESS_LOG = 129;

/** Hubble's status code filter: "404" matches that code, "5+" or "50+" the codes starting so; only responses match. */
function statusCodes(codes: string[], eventTypes: FlowFilter['event_type']): Test {
  if (eventTypes?.length && !eventTypes.some((t) => t.type === ACCESS_LOG))
    throw new FilterError("filtering by http status code requires the event type filter to only match 'l7' events");
  const full: string[] = [];
  const prefixes: string[] = [];
  for (const code of codes) {
    if (/[1-5][0-9]{2}/.test(code)) full.push(code);
    else if (/^[1-5][0-9]?\+$/.test(code)) prefixes.push(code.slice(0, -1));
    else throw new FilterError(`invalid http status code filter: invalid status code prefix: "${code}"`);
  }
  return (flow) => {
    const code = flow.l7?.http?.code;
    if (!code) return false;
    const text = String(code).padStart(3, '0');
    return full.includes(text) || prefixes.some((p) => text.startsWith(p));
  };
}

/** A filter turned into one predicate, built once per request. */
export function compile(f: FlowFilter): Test {
  const tests: Test[] = [];
  const given = <T>(list: T[] | undefined): list is T[] => list !== undefined && list.length > 0;
  if (given(f.source_pod)) tests.push((flow) => podMatches(f.source_pod ?? [], flow.source));
  if (given(f.destination_pod)) tests.push((flow) => podMatches(f.destination_pod ?? [], flow.destination));
  if (given(f.source_ip)) tests.push((flow) => ipMatches(f.source_ip ?? [], flow.IP?.source));
  if (given(f.destination_ip)) tests.push((flow) => ipMatches(f.destination_ip ?? [], flow.IP?.destination));
  if (given(f.verdict)) {
    const verdicts = new Set(f.verdict.map((v) => named(v, VERDICTS)));
    tests.push((flow) => verdicts.has(flow.verdict));
  }
  if (given(f.source_label)) tests.push((flow) => labelMatches(f.source_label ?? [], flow.source?.labels));
  if (given(f.destination_label))
    tests.push((flow) => labelMatches(f.destination_label ?? [], flow.destination?.labels));
  if (given(f.protocol)) {
    const wanted = f.protocol.map((p) => p.toLowerCase());
    tests.push((flow) => {
      const protocol = flow.l7?.http ? 'http' : flow.l4?.TCP ? 'tcp' : flow.l4?.UDP ? 'udp' : '';
      return wanted.some((p) => p === protocol || (p === 'tcp' && flow.l4?.TCP !== undefined));
    });
  }
  if (given(f.source_port))
    tests.push((flow) => (f.source_port ?? []).includes(String((flow.l4?.TCP ?? flow.l4?.UDP)?.source_port ?? '')));
  if (given(f.destination_port))
    tests.push((flow) =>
      (f.destination_port ?? []).includes(String((flow.l4?.TCP ?? flow.l4?.UDP)?.destination_port ?? '')),
    );
  if (given(f.node_name)) tests.push((flow) => (f.node_name ?? []).some((p) => glob(p, flow.node_name ?? '')));
  if (given(f.traffic_direction)) {
    const directions = new Set(f.traffic_direction.map((d) => named(d, DIRECTIONS)));
    tests.push((flow) => directions.has(flow.traffic_direction));
  }
  if (given(f.http_status_code)) tests.push(statusCodes(f.http_status_code, f.event_type));
  if (given(f.reply)) tests.push((flow) => (f.reply ?? []).includes(flow.is_reply?.value ?? false));
  if (given(f.tcp_flags)) {
    // A flow matches a set when it carries every flag the set turns on.
    const sets = f.tcp_flags.map((set) => Object.keys(set).filter((k) => set[k]));
    tests.push((flow) => sets.some((set) => set.every((flag) => flow.l4?.TCP?.flags?.[flag] === true)));
  }
  return (flow) => tests.every((t) => t(flow));
}

export function matches(f: FlowFilter, flow: FlowView): boolean {
  return compile(f)(flow);
}

/** The request's whitelist and blacklist as one predicate. */
export function selector(whitelist: FlowFilter[], blacklist: FlowFilter[]): Test {
  const keep = whitelist.map(compile);
  const drop = blacklist.map(compile);
  return (flow) => (keep.length === 0 || keep.some((t) => t(flow))) && !drop.some((t) => t(flow));
}

export function selected(flow: FlowView, whitelist: FlowFilter[], blacklist: FlowFilter[]): boolean {
  return selector(whitelist, blacklist)(flow);
}
