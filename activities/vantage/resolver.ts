// One getaddrinfo(AF_UNSPEC) lookup as glibc's stub resolver makes it, timed
// and counted packet by packet (resolv/res_query.c, res_send.c):
//
// - the search list and ndots decide which names are tried, in which order,
//   and when the search stops (NXDOMAIN and NODATA go on, SERVFAIL goes on,
//   a timeout stops it but the name as given is still tried);
// - each name is asked for A and AAAA at once on one UDP socket, and the
//   exchange has one timeout: `timeout` seconds shifted left by the
//   nameserver's index (divided by their count past the first);
// - `attempts` rounds over the nameservers (`rotate` starts each round-robin
//   at the next server);
// - an exchange that times out with one answer in hand switches this lane to
//   single-request mode and resends, then to single-request-reopen, then
//   gives up and uses the one answer: the 5 s stalls of a lost AAAA;
// - SERVFAIL, NOTIMP or REFUSED from every query sends it to the next server;
//   ICMP port unreachable (ECONNREFUSED) skips the server, and when no server
//   was reachable the lookup fails at once.
//
// TCP fallback on truncation, EDNS0 and the referral check are not emulated.
import { createSocket, type Socket } from 'node:dgram';
import type { DnsLookupSample, ResolverConf } from '../../model/index.ts';
import { attemptTimeoutMs, searchOrder } from './resolvconf.ts';
import { decodeHeader, encodeQuery, type QType } from './wire.ts';

/** What a lane remembers between lookups, as glibc's per-thread resolver state does. */
export interface LaneState {
  singleRequest: boolean;
  singleRequestReopen: boolean;
}

export interface LookupContext {
  conf: ResolverConf;
  lane: LaneState;
  /** Shared by the lanes of one run: where `rotate` starts next. */
  rotation: { next: number };
  lossAfterMs: number;
  /** Epoch ms: whatever is still waiting then is cut and reported as it stands. */
  endBy: number;
}

interface Counts {
  queries: number;
  lost: number;
  unknown: number;
  retries: number;
}

interface Reply {
  rcode: string;
  answers: number;
}

type Exchange =
  | { kind: 'answered'; replies: Reply[] }
  | { kind: 'rejected'; rcode: string }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; error: string }
  | { kind: 'cut' };

type QueryResult =
  | { status: 'success'; answers: number }
  | { status: 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'CUT' }
  | { status: 'UNREACHABLE'; error: string };

const REJECTING = ['SERVFAIL', 'NOTIMP', 'REFUSED'];

/** "10.96.0.10", "127.0.0.1:5353", "[fd00::10]:53" or "fd00::10" → address and port. */
export function splitServer(server: string): { address: string; port: number } {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(server);
  if (bracketed) return { address: bracketed[1] as string, port: Number(bracketed[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(server);
  if (v4) return { address: v4[1] as string, port: Number(v4[2]) };
  return { address: server.replace(/^\[|\]$/g, ''), port: 53 };
}

const now = () => performance.now();
const randomId = () => Math.floor(Math.random() * 0x10000);

interface Query {
  type: QType;
  id: number;
  sentAt?: number;
  reply?: Reply;
}

/**
 * One send_dg: the queries for `name` to one server, until every query has
 * its reply, the exchange's timeout, or the cut.
 */
function exchange(
  server: string,
  name: string,
  types: QType[],
  timeoutMs: number,
  ctx: LookupContext,
  counts: Counts,
  resend: boolean,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const { address, port } = splitServer(server);
    let socket: Socket | undefined;
    let queries: Query[] = [];
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let retry = resend;
    const cutTimer = setTimeout(() => finish({ kind: 'cut' }), Math.max(0, ctx.endBy - Date.now()));

    const tally = (ended: 'timeout' | 'cut') => {
      for (const q of queries) {
        if (q.sentAt === undefined || q.reply) continue;
        if (ended === 'timeout' || now() - q.sentAt >= ctx.lossAfterMs) counts.lost++;
        else counts.unknown++;
      }
    };
    function finish(result: Exchange) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(cutTimer);
      if (result.kind === 'cut') tally('cut');
      socket?.close();
      resolve(result);
    }
    const single = () => ctx.lane.singleRequest || ctx.lane.singleRequestReopen;
    const send = (q: Query) => {
      q.sentAt = now();
      counts.queries++;
      if (retry) counts.retries++;
      socket?.send(encodeQuery(q.id, name, q.type), (err) => {
        if (err) finish({ kind: 'unreachable', error: (err as NodeJS.ErrnoException).code ?? err.message });
      });
    };
    const open = () => {
      socket?.close();
      const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      socket = s;
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (s === socket) finish({ kind: 'unreachable', error: err.code ?? err.message });
      });
      s.on('message', (message) => {
        if (s !== socket) return;
        const header = decodeHeader(message);
        const q = header && queries.find((x) => x.id === header.id && x.sentAt !== undefined && !x.reply);
        if (!header || !q) return; // an old answer or not ours: keep waiting
        q.reply = { rcode: header.rcode, answers: header.answers };
        onReply();
      });
      return new Promise<void>((done) => s.connect(port, address, () => done()));
    };
    const start = () => {
      if (settled) return;
      queries = types.map((type) => ({ type, id: randomId() }));
      clearTimeout(timer);
      timer = setTimeout(onTimeout, timeoutMs);
      if (single()) send(queries[0] as Query);
      else for (const q of queries) send(q);
    };
    const onReply = () => {
      const replied = queries.filter((q) => q.reply);
      const rejected = replied.filter((q) => REJECTING.includes(q.reply?.rcode ?? ''));
      if (replied.length === queries.length) {
        const kept = replied.filter((q) => !rejected.includes(q)).map((q) => q.reply as Reply);
        finish(
          kept.length
            ? { kind: 'answered', replies: kept }
            : { kind: 'rejected', rcode: rejected[0]?.reply?.rcode ?? 'SERVFAIL' },
        );
        return;
      }
      // One answer that is not a rejection, one still out: glibc returns at once on a later
      // rejection, and otherwise waits; in single-request mode the next query goes out now.
      const next = queries.find((q) => q.sentAt === undefined);
      if (next) send(next);
    };
    const onTimeout = () => {
      const good = queries.some((q) => q.reply && !REJECTING.includes(q.reply.rcode));
      tally('timeout');
      if (!good) {
        finish({ kind: 'timeout' });
        return;
      }
      retry = true;
      if (!ctx.lane.singleRequest) {
        ctx.lane.singleRequest = true;
        start();
      } else if (!ctx.lane.singleRequestReopen) {
        ctx.lane.singleRequestReopen = true;
        void open().then(start);
      } else {
        finish({ kind: 'answered', replies: queries.flatMap((q) => (q.reply ? [q.reply] : [])) });
      }
    };
    void open().then(start);
  });
}

/** One res_send: every attempt over every nameserver, for one candidate name. */
async function query(name: string, ctx: LookupContext, counts: Counts): Promise<QueryResult> {
  const { conf } = ctx;
  const servers = conf.nameservers;
  const types: QType[] = conf.noAaaa ? ['A'] : ['A', 'AAAA'];
  const offset = conf.rotate && servers.length > 1 ? ctx.rotation.next++ % servers.length : 0;
  let gotSomewhere = false;
  let rejection: string | undefined;
  let unreachable = '';
  let sent = false;
  for (let attempt = 0; attempt < conf.attempts; attempt++) {
    for (let shift = 0; shift < servers.length; shift++) {
      const ns = (shift + offset) % servers.length;
      const timeoutMs = attemptTimeoutMs(conf.timeoutSeconds, ns, servers.length);
      const result = await exchange(servers[ns] as string, name, types, timeoutMs, ctx, counts, sent);
      sent = true;
      if (result.kind === 'cut') return { status: 'CUT' };
      if (result.kind === 'answered') return classify(result.replies);
      if (result.kind === 'unreachable') unreachable = result.error;
      else {
        gotSomewhere = true;
        if (result.kind === 'rejected') rejection = result.rcode;
      }
    }
  }
  if (!gotSomewhere) return { status: 'UNREACHABLE', error: unreachable || 'no nameserver' };
  if (rejection === 'SERVFAIL') return { status: 'SERVFAIL' };
  return rejection ? { status: 'REFUSED' } : { status: 'TIMEOUT' };
}

/** __res_context_query: success when any reply has answers; else the first error rcode, or NODATA. */
function classify(replies: Reply[]): QueryResult {
  const answers = replies.filter((r) => r.rcode === 'NOERROR').reduce((sum, r) => sum + r.answers, 0);
  if (answers > 0) return { status: 'success', answers };
  const rcode = replies.find((r) => r.rcode !== 'NOERROR')?.rcode ?? 'NOERROR';
  if (rcode === 'NOERROR') return { status: 'NODATA' };
  if (rcode === 'NXDOMAIN') return { status: 'NXDOMAIN' };
  if (rcode === 'SERVFAIL') return { status: 'SERVFAIL' };
  return { status: 'REFUSED' };
}

/** One lookup of `name`, the way getaddrinfo walks the search list (res_search). */
export async function lookup(name: string, ctx: LookupContext): Promise<DnsLookupSample> {
  const started = now();
  const counts: Counts = { queries: 0, lost: 0, unknown: 0, retries: 0 };
  const sample = (
    outcome: DnsLookupSample['outcome'],
    extra: { answers?: number; answeredAs?: string; error?: string } = {},
  ): DnsLookupSample => ({
    name,
    ms: Math.round((now() - started) * 1000) / 1000,
    outcome,
    answers: extra.answers ?? 0,
    ...(extra.answeredAs ? { answeredAs: extra.answeredAs } : {}),
    ...counts,
    ...(extra.error ? { error: extra.error } : {}),
  });
  const failed = (r: QueryResult): DnsLookupSample =>
    r.status === 'UNREACHABLE'
      ? sample('ERROR', { error: r.error })
      : sample(r.status === 'success' || r.status === 'CUT' ? 'PENDING' : r.status);
  let saved: QueryResult | undefined; // the name as given, when it was tried first
  let last: QueryResult | undefined;
  let searching = true;
  let gotNodata = false;
  let gotServfail = false;
  const candidates = searchOrder(name, ctx.conf);
  for (const [i, candidate] of candidates.entries()) {
    if (!candidate.asIs && !searching) continue;
    const r = await query(candidate.name, ctx, counts);
    if (r.status === 'success') return sample('NOERROR', { answers: r.answers, answeredAs: candidate.name });
    if (r.status === 'CUT') return sample('PENDING');
    last = r;
    if (candidate.asIs) {
      if (i === 0) saved = r;
      continue;
    }
    if (r.status === 'UNREACHABLE') return failed(r); // no server present: give up
    if (r.status === 'NODATA') gotNodata = true;
    else if (r.status === 'SERVFAIL') gotServfail = true;
    else if (r.status !== 'NXDOMAIN') searching = false; // a timeout or a refusal ends the search
  }
  if (saved) return failed(saved);
  if (gotNodata) return sample('NODATA');
  if (gotServfail) return sample('SERVFAIL');
  return failed(last ?? { status: 'TIMEOUT' });
}
