// Following a run from the terminal: one line per change, then a summary.
import type { RunStatus } from '../model/index.ts';

export function describeChanges(before: RunStatus | undefined, after: RunStatus): string[] {
  const lines: string[] = [];
  for (const step of after.steps) {
    const old = before?.steps.find((s) => s.id === step.id);
    if (old?.status === step.status) continue;
    if (step.status === 'running') lines.push(`▶ ${step.id} (${step.kind}) started`);
    if (step.status === 'done') lines.push(`✔ ${step.id} ${summariseResult(step.kind, step.result)}`);
    if (step.status === 'skipped') lines.push(`↷ ${step.id} skipped (condition not met)`);
    if (step.status === 'failed') lines.push(`✘ ${step.id} failed: ${step.error ?? 'unknown error'}`);
  }
  const pending = after.pendingDecision;
  if (pending && before?.pendingDecision?.step !== pending.step) {
    lines.push(`? ${pending.question}`);
    for (const option of pending.options) lines.push(`    ${option.id}: ${option.label}`);
    lines.push(
      `    (default "${pending.default}" at ${pending.deadline}; decide with: nightshift decide <run-id> <option>)`,
    );
  }
  for (const decision of after.decisions.slice(before?.decisions.length ?? 0)) {
    const who = decision.auto ? `${decision.by.name ?? 'timeout'} (automatic)` : (decision.by.name ?? decision.by.id);
    lines.push(`✔ decided "${decision.option}" by ${who}`);
  }
  if (after.state !== before?.state && !['running', 'waiting'].includes(after.state)) {
    lines.push(
      `■ run ${after.state}${after.abort ? `: ${after.abort.reason}` : ''}${after.error ? `: ${after.error}` : ''}`,
    );
  }
  return lines;
}

function summariseResult(kind: string, result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  const summaries: Record<string, () => string> = {
    gather: () => {
      const collectors = Object.values((r.collectors ?? {}) as Record<string, { ok: boolean }>);
      const failed = collectors.filter((c) => !c.ok).length;
      const findings = Array.isArray(r.findings) ? r.findings.length : 0;
      return `— ${collectors.length} collectors (${failed} without evidence), ${findings} findings`;
    },
    diagnose: () => {
      if (typeof r.headline === 'string') return `— ${r.headline}`;
      const top = (r.hypotheses as { id: string; confidence: number }[] | undefined)?.[0];
      return top ? `— top hypothesis ${top.id} (${Math.round(top.confidence * 100)}%)` : '— no hypotheses';
    },
    decide: () => `— chose "${String(r.choice)}"`,
    act: () => (r.skipped ? `— skipped: ${String(r.skipped)}` : `— ${String(r.summary ?? r.action ?? 'done')}`),
    verify: () => `— ${r.ok ? 'condition holds' : 'condition did not hold'} after ${String(r.attempts)} probe(s)`,
    notify: () => `— ${r.posted ? 'posted' : 'logged'}: ${String(r.message ?? '')}`,
  };
  return summaries[kind]?.() ?? '';
}

export function summarise(status: RunStatus): string[] {
  const lines = [`run of ${status.runbook}: ${status.state}`];
  if (status.diagnosis?.headline) lines.push(`  ${status.diagnosis.headline}`);
  for (const h of status.diagnosis?.hypotheses.slice(0, 3) ?? []) {
    lines.push(`  ${Math.round(h.confidence * 100)}% ${h.id}: ${h.title}`);
    lines.push(`      ${h.explanation}`);
  }
  return lines;
}
