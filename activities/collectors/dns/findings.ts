// What DNS evidence means: loss (lookups without an answer, query packets
// unanswered), stalls, slow answers, SERVFAIL/NXDOMAIN, and CoreDNS's own
// view.
import { round, type Findings } from '../result.ts';
import type { CorednsStats } from './coredns.ts';
import { dnsMs, type DnsTargetStats } from './stats.ts';

export interface DnsEvidence {
  names: string[];
  servers: { address: string; kind: DnsTargetStats['kind'] }[];
  targets: DnsTargetStats[];
  coredns: CorednsStats[];
  slowMs: number;
  baselineP95Ms?: number;
  /** A query unanswered this long when the measurement ended counts as lost. */
  queryTimeoutMs: number;
  /** Pods lookups were asked of and not measured from, and why (no agent on the node, the agent failed). */
  unmeasured?: { from: string; node?: string; reason: string }[];
}

export function findDns(e: DnsEvidence, findings: Findings): void {
  const slowLimit = e.baselineP95Ms ? Math.max(e.slowMs, e.baselineP95Ms * 3) : e.slowMs;
  const yardstick = e.baselineP95Ms
    ? `3× the cluster's baseline p95 ${e.baselineP95Ms} ms`
    : `${e.slowMs} ms (a rule of thumb; cache hits answer in under 1 ms)`;
  for (const t of e.targets) {
    const id = `${t.from}>${t.server}`;
    if (t.timeouts > 0) {
      const waiting = t.pending ? `; ${t.pending} still waiting after ${e.queryTimeoutMs} ms or more` : '';
      const packets =
        t.queries !== undefined
          ? ` — ${t.lostQueries ?? 0} of ${t.queries} query packets went unanswered (${round((t.queryLossRatio ?? 0) * 100, 1)}%)`
          : '';
      const waits = t.resolver
        ? `the pod's resolver waits ${t.resolver.timeoutSeconds} s for each before it retries (attempts:${t.resolver.attempts})`
        : "a pod's resolver waits seconds for each before it retries";
      findings.add(
        'dns.loss',
        t.lossRatio >= 0.2 ? 'critical' : 'warning',
        `from ${t.from}: ${t.timeouts} of ${t.samples} lookups to ${t.server} got no answer (${round(t.lossRatio * 100, 1)}%${waiting})${packets}; ${waits}`,
        { ...t },
        `loss:${id}`,
      );
    }
    if (t.stalls > 0) {
      findings.add(
        'dns.stalls',
        'warning',
        `from ${t.from}: ${t.stalls} lookup(s) to ${t.server} took a second or more (max ${t.maxMs} ms): retries after lost query packets`,
        { ...t },
        `stalls:${id}`,
      );
    }
    const p95 = dnsMs(t.answeredP95Ms, t.selfP50Ms);
    if (p95 !== undefined && p95 > slowLimit) {
      const self = t.selfP50Ms ? `, less the measurer's own ${t.selfP50Ms} ms` : '';
      findings.add(
        'dns.slow',
        'warning',
        `from ${t.from}: DNS p95 ${t.answeredP95Ms} ms to ${t.server} (p50 ${t.p50Ms} ms${self}) is over ${yardstick}`,
        { ...t },
        `slow:${id}`,
      );
    }
    if (t.servfail > 0)
      findings.add(
        'dns.servfail',
        'warning',
        `from ${t.from}: ${t.servfail} SERVFAIL answer(s) from ${t.server}`,
        { ...t },
        `servfail:${id}`,
      );
    if (t.nxdomain > 0)
      findings.add(
        'dns.nxdomain',
        'info',
        `from ${t.from}: ${t.nxdomain} NXDOMAIN answer(s) from ${t.server} for ${e.names.join(', ')}`,
        { ...t },
        `nxdomain:${id}`,
      );
    if (t.errors > 0)
      findings.add(
        'dns.errors',
        'warning',
        `from ${t.from}: ${t.errors} lookup(s) to ${t.server} could not be made (no nameserver reachable, or the query could not be sent)`,
        { ...t },
        `errors:${id}`,
      );
  }
  for (const c of e.coredns) {
    if (c.p95Ms !== undefined && c.p95Ms > slowLimit) {
      findings.add(
        'coredns.slow',
        'warning',
        `CoreDNS ${c.endpoint}: request p95 ${c.p95Ms} ms (${c.basis}; from histogram buckets)`,
        { ...c },
        `coredns-slow:${c.endpoint}`,
      );
    }
    if (c.slowShare !== undefined && c.slowShare > 0.05) {
      findings.add(
        'coredns.slow-share',
        'warning',
        `CoreDNS ${c.endpoint}: ${round(c.slowShare * 100, 1)}% of requests over ${e.slowMs} ms (${c.slowNote})`,
        { ...c },
        `coredns-share:${c.endpoint}`,
      );
    }
    if (c.servfailShare > 0.01) {
      findings.add(
        'coredns.servfail',
        'warning',
        `CoreDNS ${c.endpoint}: ${round(c.servfailShare * 100, 1)}% of responses SERVFAIL (${c.basis})`,
        { ...c },
        `coredns-servfail:${c.endpoint}`,
      );
    }
    if (c.panics > 0)
      findings.add(
        'coredns.panics',
        'warning',
        `CoreDNS ${c.endpoint} panicked ${c.panics} time(s)`,
        { ...c },
        `coredns-panics:${c.endpoint}`,
      );
  }
  const troubled = findings.list.some(
    (f) =>
      f.kind.startsWith('dns.') &&
      f.severity !== 'info' &&
      f.kind !== 'dns.vantage-failed' &&
      f.kind !== 'dns.no-agent',
  );
  if (!troubled && e.targets.length) {
    const worstP95 = Math.max(...e.targets.map((t) => t.p95Ms ?? 0));
    const total = e.targets.reduce((sum, t) => sum + t.samples, 0);
    findings.add(
      'dns.healthy',
      'info',
      `DNS healthy: ${total} lookups from ${new Set(e.targets.map((t) => t.from)).size} place(s), worst p95 ${worstP95} ms, none lost` +
        (e.unmeasured?.length ? ` (not measured from ${e.unmeasured.map((u) => u.from).join(', ')})` : ''),
    );
  }
}
