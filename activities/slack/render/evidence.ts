// One thread reply per gather step: each collector, and its findings worst first.
import type { StepRecord } from '../../../model/index.ts';
import { clip, context, esc, FALLBACK, PIECE, section, type Draft } from './blocks.ts';
import { readGather, type FindingView } from './results.ts';

const SEVERITY: Record<FindingView['severity'], { icon: string; rank: number }> = {
  critical: { icon: '🔴', rank: 0 },
  warning: { icon: '🟠', rank: 1 },
  info: { icon: '🔵', rank: 2 },
};

const MAX_FINDINGS = 12;
const MAX_COLLECTORS = 20;

export function renderEvidence(key: string, step: StepRecord): Draft | undefined {
  if (step.kind !== 'gather' || step.status !== 'done') return undefined;
  const gather = readGather(step.result);
  if (!gather) return undefined;
  const collectors = Object.entries(gather.collectors);
  const lines = collectors
    .slice(0, MAX_COLLECTORS)
    .map(([name, c]) =>
      c.ok
        ? `✅ *${esc(clip(name, 60))}* (${c.durationMs} ms)`
        : `⚠️ *${esc(clip(name, 60))}*: no evidence — ${esc(clip(c.error ?? 'failed', PIECE))}`,
    );
  const findings = collectors
    .flatMap(([, c]) => c.findings)
    .filter((f) => f.kind !== 'collector.failed')
    .sort((a, b) => SEVERITY[a.severity].rank - SEVERITY[b.severity].rank);
  const shown = findings
    .slice(0, MAX_FINDINGS)
    .map((f) => `${SEVERITY[f.severity].icon} ${esc(clip(f.summary, PIECE))} _(${esc(clip(f.source, 60))})_`);
  const more = findings.length > MAX_FINDINGS ? [`…and ${findings.length - MAX_FINDINGS} more`] : [];
  return {
    key: `${key}#evidence:${step.id}`,
    text: clip(`Evidence from ${esc(step.title)}: ${findings.length} findings`, FALLBACK),
    blocks: [
      section(
        `*Evidence — ${esc(step.title)}*\n${lines.join('\n')}${collectors.length > MAX_COLLECTORS ? `\n…and ${collectors.length - MAX_COLLECTORS} more collectors` : ''}`,
      ),
      section(shown.length ? [...shown, ...more].join('\n') : 'No findings: every collector saw a healthy system.'),
      context(`${collectors.length} collectors · ${findings.length} findings`),
    ],
  };
}
