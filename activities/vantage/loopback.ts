// The measurer's own share of a lookup's time. A lookup timed by a helper
// includes the helper's own waits for the CPU (every exchange wakes its
// event loop, and its lanes share it): on a busy 2-core node that is tens of
// ms, enough to call healthy DNS slow. So before its lookups the helper makes
// the same lookups (names, search list, lanes) against an answerer of its
// own on the namespace's loopback, which answers at once and which nothing
// outside the helper sees; their typical time is the measurer's share
// (`selfMs`), reported beside the samples for the collector to set apart.
// The same round also warms a freshly started helper before it says ready.
// Node built-ins and pure modules only.
import { createSocket } from 'node:dgram';
import type { DnsLookupPlan, DnsRun } from '../../model/index.ts';
import { runLookups } from './lookups.ts';
import { parseResolvConf } from './resolvconf.ts';

/** Longest the loopback round may take. */
const SELF_MS = 400;

/** The question's name of a DNS query, lower-case, without the root dot. */
function questionName(query: Buffer): string | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < query.length) {
    const len = query[at] as number;
    if (len === 0) return labels.join('.').toLowerCase();
    if (len > 63 || at + 1 + len > query.length) return undefined;
    labels.push(query.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += 1 + len;
  }
  return undefined;
}

/**
 * An answerer on 127.0.0.1: the names given exist (one answer), every other
 * name does not (NXDOMAIN), so a lookup walks the search list as it would
 * against cluster DNS.
 */
async function answerer(names: string[]): Promise<{ server: string; close(): void }> {
  const known = new Set(names.map((n) => n.replace(/\.$/, '').toLowerCase()));
  const socket = createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port));
  });
  socket.on('message', (query, from) => {
    const name = query.length >= 12 ? questionName(query) : undefined;
    if (name === undefined) return;
    const reply = Buffer.from(query);
    const exists = known.has(name);
    reply.writeUInt16BE(exists ? 0x8180 : 0x8183, 2); // a response, recursion available, NOERROR / NXDOMAIN
    reply.writeUInt16BE(exists ? 1 : 0, 6); // ANCOUNT (the resolver reads counts, not records)
    socket.send(reply, from.port, from.address);
  });
  return { server: `127.0.0.1:${port}`, close: () => socket.close() };
}

/** The typical time of the plan's lookups against the loopback answerer; undefined when there is no loopback. */
export async function selfTime(plan: DnsLookupPlan, lanes = plan.concurrency): Promise<number | undefined> {
  let local: Awaited<ReturnType<typeof answerer>> | undefined;
  try {
    local = await answerer(plan.names);
    const samples = await runLookups({
      ...plan,
      resolver: { ...plan.resolver, nameservers: [local.server], timeoutSeconds: 1, attempts: 1, rotate: false },
      lookups: Math.max(lanes, Math.min(plan.lookups, 2 * lanes)),
      concurrency: lanes,
      lossAfterMs: SELF_MS,
      endBy: Math.min(plan.endBy, Date.now() + SELF_MS),
    });
    const times = samples
      .filter((s) => s.outcome === 'NOERROR' || s.outcome === 'NXDOMAIN' || s.outcome === 'NODATA')
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    return times.length ? Math.round((times[Math.floor((times.length - 1) / 2)] as number) * 100) / 100 : undefined;
  } catch {
    return undefined; // no loopback in this namespace: the times stand as measured
  } finally {
    local?.close();
  }
}

/** The runs, at once, each with the measurer's share found just before them. */
export async function measureRuns(runs: { server: string; plan: DnsLookupPlan }[]): Promise<DnsRun[]> {
  const first = runs[0];
  const lanes = runs.reduce((sum, r) => sum + r.plan.concurrency, 0);
  const selfMs = first ? await selfTime(first.plan, lanes) : undefined;
  return Promise.all(
    runs.map(async (r) => ({
      server: r.server,
      samples: await runLookups(r.plan),
      ...(selfMs === undefined ? {} : { selfMs }),
    })),
  );
}

/** Warms a freshly started helper: one loopback round, before it says ready. */
export async function warmUp(): Promise<void> {
  await selfTime({
    resolver: parseResolvConf(''),
    names: ['warm-up.invalid'],
    lookups: 20,
    concurrency: 5,
    lossAfterMs: SELF_MS,
    endBy: Date.now() + SELF_MS,
  });
}
