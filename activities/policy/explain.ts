// Is a flow allowed? Egress from the source and ingress to the destination
// are decided separately and both must allow it. In each direction: a
// matching deny rule wins; with no policy isolating the endpoint everything is
// allowed; otherwise some allow rule must match, or default deny applies.
import { describeEndpoint, matchRule, selects, type RuleMatch } from './match.ts';
import type {
  Direction,
  DirectionAnswer,
  Endpoint,
  Explanation,
  FlowQuery,
  Policy,
  PolicyRef,
  Rule,
  Unsupported,
} from './types.ts';

export const policyName = (ref: PolicyRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
const ruleName = (rule: Rule) => `${policyName(rule.policy)} ${rule.path}`;

/** Where cluster DNS runs, for the FQDN check (Cilium learns FQDN IPs from DNS it sees). */
export const CLUSTER_DNS: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, external: false };

export function explainDirection(direction: Direction, flow: FlowQuery, policies: Policy[]): DirectionAnswer {
  const subject = direction === 'egress' ? flow.from : flow.to;
  const who = `${direction} ${direction === 'egress' ? 'from' : 'to'} ${describeEndpoint(subject)}`;
  const base = { direction, conditions: [] as string[], considered: [] as DirectionAnswer['considered'] };
  if (subject.external) {
    return {
      ...base,
      verdict: 'not-applicable',
      reason: 'external',
      selectedBy: [],
      sentence: `${who}: outside the cluster, no policy applies`,
    };
  }
  const selecting = policies.filter((p) => selects(p, subject));
  const isolating = selecting.filter((p) => p.isolates[direction]);
  const rules = selecting.flatMap((p) => p.rules.filter((r) => r.direction === direction));
  const results = rules.map((rule) => ({ rule, m: matchRule(rule, flow) }));
  const considered = results.map(({ rule, m }) => ({
    rule: ruleName(rule),
    matched: m.l4 && m.l7 !== 'mismatch',
    why: m.why,
  }));
  const selectedBy = isolating.map((p) => policyName(p.ref));
  const answer = { ...base, considered, selectedBy };

  const denied = results.find(({ rule, m }) => rule.deny && m.l4);
  if (denied) {
    return {
      ...answer,
      verdict: 'denied',
      reason: 'denied-by-rule',
      rule: ruleName(denied.rule),
      sentence: `${who}: denied by the deny rule ${ruleName(denied.rule)} (${denied.m.why})`,
    };
  }
  if (isolating.length === 0) {
    const none = selecting.length
      ? `policies select it (${selecting.map((p) => policyName(p.ref)).join(', ')}) but none for ${direction}`
      : `no policy selects it`;
    return {
      ...answer,
      verdict: 'allowed',
      reason: 'no-policy',
      sentence: `${who}: ${none}, so ${direction} is not restricted`,
    };
  }
  const allows = results.filter(({ rule, m }) => !rule.deny && m.l4);
  const pick = (l7: RuleMatch['l7']) => allows.find(({ m }) => m.l7 === l7);
  const decisive = pick('none') ?? pick('match');
  if (decisive) {
    return {
      ...answer,
      verdict: 'allowed',
      reason: 'allowed-by-rule',
      rule: ruleName(decisive.rule),
      sentence: `${who}: allowed by ${ruleName(decisive.rule)} (${decisive.m.why})`,
    };
  }
  const unknown = allows.filter(({ m }) => m.l7 === 'unknown');
  if (unknown.length) {
    const conditions = [...new Set(unknown.map(({ m }) => m.requires ?? ''))];
    const rule = unknown[0] as (typeof unknown)[number];
    return {
      ...answer,
      verdict: 'allowed',
      reason: 'allowed-by-rule',
      rule: ruleName(rule.rule),
      conditions,
      sentence: `${who}: allowed at L4 by ${ruleName(rule.rule)}, but only for HTTP ${conditions.join(' or ')} (the L7 proxy answers 403 to anything else)`,
    };
  }
  const mismatch = allows.find(({ m }) => m.l7 === 'mismatch');
  if (mismatch) {
    return {
      ...answer,
      verdict: 'denied',
      reason: 'l7-denied',
      rule: ruleName(mismatch.rule),
      sentence: `${who}: the port is allowed by ${ruleName(mismatch.rule)}, but the HTTP request is not: it allows only ${mismatch.m.requires ?? '?'} (the proxy answers 403)`,
    };
  }
  const policiesText = selectedBy.join(', ');
  return {
    ...answer,
    verdict: 'denied',
    reason: 'default-deny',
    sentence: `${who}: denied by default — ${policiesText} select${isolating.length === 1 ? 's' : ''} it for ${direction} and no rule allows this flow`,
  };
}

function describeFlow(flow: FlowQuery): string {
  const http =
    flow.http && (flow.http.method || flow.http.path) ? ` ${flow.http.method ?? '*'} ${flow.http.path ?? '*'}` : '';
  return `${describeEndpoint(flow.from)} → ${describeEndpoint(flow.to)} ${flow.protocol}/${flow.port}${http}`;
}

export function explain(flow: FlowQuery, policies: Policy[], unsupported: Unsupported[] = []): Explanation {
  const egress = explainDirection('egress', flow, policies);
  const ingress = explainDirection('ingress', flow, policies);
  const verdict = egress.verdict === 'denied' || ingress.verdict === 'denied' ? 'denied' : 'allowed';
  const involved = policies.filter((p) => selects(p, flow.from) || selects(p, flow.to));
  const caveats = involved.flatMap((p) => p.unsupported);
  const notes = fqdnNotes(flow, policies, egress);
  const conditions = [...egress.conditions, ...ingress.conditions];
  const deciding = [egress, ingress].filter((d) => d.verdict === 'denied').map((d) => d.sentence);
  const summary =
    verdict === 'allowed'
      ? `ALLOWED${conditions.length ? ` (only HTTP ${conditions.join(' or ')})` : ''}: ${describeFlow(flow)}`
      : `DENIED: ${describeFlow(flow)} — ${deciding.join('; ')}`;
  const all = [...unsupported, ...policies.flatMap((p) => p.unsupported)];
  return { verdict, flow: describeFlow(flow), egress, ingress, caveats, unsupported: all, notes, summary };
}

/** toFQDNs works only for names the DNS proxy saw resolved: DNS itself must be allowed. */
function fqdnNotes(flow: FlowQuery, policies: Policy[], egress: DirectionAnswer): string[] {
  if (!flow.to.fqdn || egress.reason !== 'allowed-by-rule') return [];
  const dns = explainDirection('egress', { from: flow.from, to: CLUSTER_DNS, port: 53, protocol: 'UDP' }, policies);
  if (dns.verdict === 'denied') {
    return [
      `egress to ${flow.to.fqdn} is allowed by name, but DNS lookups from ${describeEndpoint(flow.from)} to kube-system/k8s-app=kube-dns UDP/53 are denied (${dns.reason}); Cilium only learns the IPs of FQDNs it sees resolved, so in practice this flow fails — allow DNS with toPorts 53 and rules.dns`,
    ];
  }
  return [];
}
