// Hypotheses about DNS: lost queries (timeouts, multi-second stalls, drops on
// port 53) and slow answers. Loss that only affects pods on a node that loses
// packets everywhere is that node's, not DNS's.
import type { DnsView } from '../bundle.ts';
import { restartDns } from '../remedies.ts';
import { cite, citeKinds, clamp, lookupMs, nodeOfPod, type Signals } from '../signals.ts';
import type { Candidate } from './candidate.ts';
import { unansweredEnough } from '../../hubble/index.ts';
import { lossyNode } from './datapath.ts';
import { slowOrigin } from './service.ts';

type Target = DnsView['targets'][number];
const pct = (x: number) => `${Math.round(x * 100)}%`;

export function dnsLoss(s: Signals): Candidate | undefined {
  const targets = s.dns?.v.targets ?? [];
  const lossy = targets.filter((t) => (t.timeouts > 0 && t.lossRatio >= 0.05) || t.stalls > 0);
  // Queries Hubble saw leave with no reply (on pairs where that is loss, not a window's tail), and any Cilium dropped.
  const unanswered = (s.flows?.v.connections ?? [])
    .filter((c) => c.port === 53)
    .filter(unansweredEnough)
    .reduce((sum, c) => sum + (c.attempts - c.answered), 0);
  const dropped = (s.flows?.v.drops ?? []).filter((g) => g.port === 53);
  const droppedCount = dropped.reduce((sum, g) => sum + g.count, 0) + unanswered;
  if (lossy.length === 0 && droppedCount < 3) return undefined;
  const maxLoss = Math.max(0, ...lossy.map((t) => t.lossRatio));
  let c = lossy.length ? 0.45 + 0.35 * Math.min(1, maxLoss / 0.3) : 0.45;
  if (droppedCount >= 3) c += 0.1;
  if (s.symptom.erroring || s.symptom.slow) c += 0.05;
  const suspect = lossyNode(s);
  const lossyFrom = [...new Set(lossy.map((t) => t.from))];
  const onSuspect =
    suspect !== undefined && lossyFrom.length > 0 && lossyFrom.every((from) => nodeOfPod(s, from) === suspect);
  if (onSuspect) c -= 0.35;
  const worst = [...lossy].sort((a, b) => b.lossRatio - a.lossRatio || a.from.localeCompare(b.from))[0];
  const healthyFrom = [...new Set(targets.filter((t) => t.timeouts === 0 && t.stalls === 0).map((t) => t.from))].filter(
    (f) => !lossyFrom.includes(f),
  );
  const parts = [
    worst
      ? `from ${worst.from}, ${worst.timeouts} of ${worst.samples} lookups to ${worst.server} got no answer (${pct(worst.lossRatio)})`
      : '',
    droppedCount ? `${droppedCount} DNS queries seen on the wire got no reply` : '',
    healthyFrom.length && lossyFrom.length
      ? `lookups from ${healthyFrom.length} other place(s) were fine, so the loss is on the path of ${lossyFrom.map(shortFrom).join(', ')}`
      : '',
    onSuspect ? `but those pods run on node ${suspect}, which loses packets to every peer` : '',
  ].filter(Boolean);
  return {
    id: 'dns-loss',
    confidence: clamp(c),
    explanation: `DNS queries are lost: ${parts.join('; ')}.`,
    evidence: [
      ...citeKinds(s, 'dns.loss', 'dns.stalls'),
      ...cite(s.flows, (f) => f.kind === 'flows.dns-dropped' || f.kind === 'flows.dns-unanswered'),
      ...s.symptom.refs,
    ],
    remediations: [restartDns(s)],
    subject: { kind: 'drop', port: 53, protocol: 'udp' },
  };
}

const shortFrom = (from: string) => from.replace(/^pod /, '');

export function dnsSlow(s: Signals): Candidate | undefined {
  const dns = s.dns?.v;
  if (!dns) return undefined;
  const slow = dns.targets.filter((t: Target) => (lookupMs(t).p95 ?? 0) > dns.slowMs);
  const corednsSlow = dns.coredns.filter((c) => c.p95Ms !== undefined && c.p95Ms > dns.slowMs);
  if (slow.length === 0 && corednsSlow.length === 0) return undefined;
  const places = new Set(dns.targets.map((t) => t.from));
  // Widespread counts places where the typical lookup is slow: a busy node's tail shows in every p95.
  const slowPlaces = new Set(slow.filter((t) => (lookupMs(t).p50 ?? 0) > dns.slowMs).map((t) => t.from));
  const widespread =
    slowPlaces.size >= 2 || (slowPlaces.size > 0 && slowPlaces.size === places.size && places.size > 0);
  let c = 0.3;
  if (widespread) c += 0.15;
  if (corednsSlow.length) c += 0.25;
  // Slow requests are DNS's doing unless their time is spent inside a server that lookups cannot make up.
  const origin = slowOrigin(s);
  if (s.symptom.slow && !origin) c += 0.1;
  const lone = !widespread && corednsSlow.length === 0;
  if (lone) c = 0.25;
  // Several places slow only in their tail: a busy moment, not one pod's path.
  const tailOnly = lone && new Set(slow.map((t) => t.from)).size >= 2;
  const worst = [...slow].sort((a, b) => (b.answeredP95Ms ?? 0) - (a.answeredP95Ms ?? 0))[0];
  const text = worst
    ? `from ${shortFrom(worst.from)}, DNS p95 is ${worst.answeredP95Ms} ms (over ${dns.slowMs} ms)`
    : '';
  const server = corednsSlow[0]
    ? `CoreDNS itself reports p95 ${corednsSlow[0].p95Ms} ms`
    : 'CoreDNS itself answers quickly';
  return {
    id: 'dns-slow',
    confidence: clamp(c),
    explanation: tailOnly
      ? `DNS is slow only in its tail (${text}) while the typical lookup is fast and ${server.toLowerCase()}: a busy moment, not DNS.`
      : lone
        ? `Only ${shortFrom(worst?.from ?? '?')} sees slow DNS (${worst?.answeredP95Ms} ms) while ${server.toLowerCase()}: that pod's own network path is slow, not DNS.`
        : `DNS answers slowly: ${[text, server].filter(Boolean).join('; ')}${origin ? `; but the slow requests wait on ${origin.server}, which answers slowly itself (p95 ${Math.round(origin.p95Ms)} ms)` : ''}.`,
    evidence: [...citeKinds(s, 'dns.slow', 'coredns.slow', 'coredns.slow-share'), ...s.symptom.refs],
    remediations: [restartDns(s)],
  };
}
