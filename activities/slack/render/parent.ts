// The run's parent message: what is happening now, kept up to date in place.
import type { RunState, RunStatus, StepRecord } from '../../../model/index.ts';
import { clip, context, elapsed, esc, FALLBACK, fields, header, PIECE, section, type Draft } from './blocks.ts';
import { readAction } from './results.ts';

const STATE: Record<RunState, string> = {
  running: '🔄 running',
  waiting: '⏳ waiting for a decision',
  completed: '✅ completed',
  aborted: '🛑 aborted',
  failed: '❌ failed',
  cancelled: '⚪ cancelled',
};

const STEP: Record<StepRecord['status'], string> = {
  pending: '◻️',
  running: '▶️',
  done: '✅',
  skipped: '↷',
  failed: '❌',
};

export function renderParent(key: string, status: RunStatus, now: Date): Draft {
  const requester = status.requestedBy.name ?? status.requestedBy.id;
  const byWhom = status.requestedBy.via === 'slack' ? `<@${status.requestedBy.id}>` : esc(requester);
  const params = Object.entries(status.params)
    .map(([k, v]) => `\`${esc(k)}=${esc(typeof v === 'string' ? v : JSON.stringify(v))}\``)
    .join(' ');
  const current = status.steps.find((s) => s.id === status.currentStep);
  const steps = status.steps.map((s) => `${STEP[s.status]} ${esc(s.title)}${stepNote(s)}`).join('\n');
  const ending = status.abort
    ? `Aborted: ${esc(clip(status.abort.reason, PIECE))}`
    : status.error
      ? `Error: ${esc(clip(status.error, PIECE))}`
      : undefined;
  const blocks = [
    header(`${status.title}`),
    fields([
      ['State', STATE[status.state]],
      ['Elapsed', elapsed(status.startedAt, status.endedAt ? new Date(status.endedAt) : now)],
      ['Current step', current ? esc(current.title) : '—'],
      ['Requested by', `${byWhom}${status.requestedBy.via ? ` via ${esc(status.requestedBy.via)}` : ''}`],
    ]),
    section(steps),
    ...(status.diagnosis?.headline ? [section(`*Diagnosis:* ${esc(status.diagnosis.headline)}`)] : []),
    ...(ending ? [section(ending)] : []),
    context(
      `run \`${esc(key)}\` · runbook \`${esc(status.runbook)}\`${params ? ` · ${params}` : ''} · details in the thread`,
    ),
  ];
  return { key, text: clip(`${esc(status.title)}: ${STATE[status.state]}`, FALLBACK), blocks };
}

function stepNote(step: StepRecord): string {
  if (step.status === 'failed') return ` — ${esc(clip(step.error ?? 'failed', PIECE))}`;
  if (step.kind !== 'act' || step.status !== 'done') return '';
  const result = readAction(step.result);
  const note = result?.skipped ?? result?.summary;
  return note ? ` — ${esc(clip(note, PIECE))}` : '';
}
