// How a game day went, computed from what the workflow saw. Pure.
export interface TimelineEvent {
  at: string;
  event: string;
  detail?: string;
}

export type GamedayOutcome = 'passed' | 'failed' | 'aborted' | 'refused' | 'yielded';

export interface ErrorBudget {
  windowSeconds: number;
  requests: number;
  failures: number;
  successRate: number;
}

export interface GamedayScore {
  outcome: GamedayOutcome;
  expected: string;
  named?: string;
  confidence?: number;
  namedCause: boolean;
  /** Fault injected → the runbook's diagnosis named a cause. */
  detectMs?: number;
  /** Fault injected → steady state back. */
  recoverMs?: number;
  errorBudget?: ErrorBudget;
  reasons: string[];
}

export interface Observed {
  expected: string;
  withinMs: number;
  injectedAt?: number;
  diagnosedAt?: number;
  named?: { id: string; confidence: number };
  recoveredAt?: number;
  errorBudget?: ErrorBudget;
  ended?: { outcome: 'aborted' | 'refused' | 'yielded'; reason: string };
}

export function score(o: Observed): GamedayScore {
  const detectMs = o.injectedAt !== undefined && o.diagnosedAt !== undefined ? o.diagnosedAt - o.injectedAt : undefined;
  const recoverMs =
    o.injectedAt !== undefined && o.recoveredAt !== undefined ? o.recoveredAt - o.injectedAt : undefined;
  const namedCause = o.named?.id === o.expected && detectMs !== undefined && detectMs <= o.withinMs;
  const reasons: string[] = [];
  if (o.ended) reasons.push(o.ended.reason);
  if (!o.named) reasons.push(`the runbook named no cause within ${Math.round(o.withinMs / 1000)} s`);
  else if (o.named.id !== o.expected) reasons.push(`the runbook named ${o.named.id}, not ${o.expected}`);
  else if (!namedCause)
    reasons.push(
      `the runbook named ${o.expected} after ${Math.round((detectMs ?? 0) / 1000)} s, later than ${Math.round(o.withinMs / 1000)} s`,
    );
  if (!o.ended && o.recoveredAt === undefined) reasons.push('steady state did not return after the fault was reverted');
  const outcome = o.ended?.outcome ?? (namedCause && o.recoveredAt !== undefined ? 'passed' : 'failed');
  return {
    outcome,
    expected: o.expected,
    ...(o.named ? { named: o.named.id, confidence: o.named.confidence } : {}),
    namedCause,
    ...(detectMs !== undefined ? { detectMs } : {}),
    ...(recoverMs !== undefined ? { recoverMs } : {}),
    ...(o.errorBudget ? { errorBudget: o.errorBudget } : {}),
    reasons,
  };
}

export function describeScore(experiment: string, s: GamedayScore): string {
  const secs = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  const icon = { passed: '✅', failed: '❌', aborted: '🛑', refused: '⛔', yielded: '↪️' }[s.outcome];
  const budget = s.errorBudget
    ? `${s.errorBudget.failures} of ${s.errorBudget.requests} requests failed over ${s.errorBudget.windowSeconds} s (${(s.errorBudget.successRate * 100).toFixed(1)}% success)`
    : 'not measured';
  return [
    `${icon} Game day *${experiment}*: ${s.outcome}`,
    `• cause named: ${s.named ?? 'none'}${s.confidence !== undefined ? ` (${Math.round(s.confidence * 100)}%)` : ''} — expected ${s.expected}: ${s.namedCause ? 'yes' : 'no'}`,
    `• time to detect: ${secs(s.detectMs)} · time to recover: ${secs(s.recoverMs)}`,
    `• error budget spent: ${budget}`,
    ...s.reasons.map((r) => `• ${r}`),
  ].join('\n');
}
