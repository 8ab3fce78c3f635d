// The decision reply: the question with one button per option (and deny)
// while it is open; afterwards who decided what and when, or which default
// the timeout took. The question is remembered in the message metadata,
// because the status forgets it once the decision closes.
import { DENY } from '../../../runbooks/index.ts';
import type { Actor, DecisionRecord, PendingDecision, RunStatus, StepRecord } from '../../../model/index.ts';
import { decideActionId, encodeDecideValue } from '../actions.ts';
import { actions, clip, context, esc, FALLBACK, section, when, type ButtonSpec, type Draft } from './blocks.ts';
import { readDecide } from './results.ts';

export function decisionKey(key: string, step: string): string {
  return `${key}#decision:${step}`;
}

export function renderDecision(
  key: string,
  step: StepRecord,
  status: RunStatus,
  remembered?: Record<string, string>,
): Draft | undefined {
  if (step.kind !== 'decide') return undefined;
  const pending = status.pendingDecision?.step === step.id ? status.pendingDecision : undefined;
  if (pending) return open(key, pending, status);
  const record = status.decisions.find((d) => d.step === step.id);
  const question = remembered?.question;
  if (record) return closed(key, step, record, question);
  // Opened once (we remember it) but the run ended before anyone decided.
  if (question && !['running', 'waiting'].includes(status.state)) {
    return {
      key: decisionKey(key, step.id),
      text: `Decision closed: the run ${status.state}`,
      blocks: [section(`*${esc(question)}*`), section(`⚪ Closed without a decision: the run ${status.state}.`)],
      memo: { question },
    };
  }
  return undefined;
}

function open(key: string, pending: PendingDecision, status: RunStatus): Draft {
  const value = (option: string) => encodeDecideValue({ r: key, s: pending.step, o: option });
  const buttons: ButtonSpec[] = [
    ...pending.options.map((o, i) => ({
      text: `${o.destructive ? '⚠️ ' : ''}${o.label}`,
      actionId: decideActionId(o.id),
      value: value(o.id),
      ...(i === 0 ? { style: 'primary' as const } : {}),
    })),
    { text: 'Deny', actionId: decideActionId(DENY), value: value(DENY), style: 'danger' },
  ];
  const who = [
    pending.deciders.roles.length ? `role ${pending.deciders.roles.join(' or ')}` : '',
    pending.deciders.users.map((u) => `<@${u}>`).join(', '),
  ]
    .filter(Boolean)
    .join(' or ');
  const second = pending.secondPerson ? ' · a second person must approve (production)' : '';
  const guarded = pending.options
    .filter((o) => o.fourEyes?.length)
    .map((o) => `🔒 *${esc(clip(o.label, 75))}* changes ${esc((o.fourEyes ?? []).join(', '))}`);
  const resolved = status.alerts.find((a) => a.status === 'resolved');
  const first = pending.firstApproval;
  const firstLabel = first ? pending.options.find((o) => o.id === first.option)?.label : undefined;
  return {
    key: decisionKey(key, pending.step),
    text: clip(`Decision needed: ${esc(pending.question)}`, FALLBACK),
    blocks: [
      section(`*Decision needed:* ${esc(pending.question)}`),
      actions(`decide:${pending.step}`, buttons),
      context(
        `who may decide: ${who || 'nobody configured'}${second} · default *${esc(pending.default)}* at ${when(pending.deadline)}`,
      ),
      ...(guarded.length
        ? [
            context(
              `${guarded.join('\n')}\n${
                pending.twoPeople
                  ? 'an alert started this run: two people must choose these, the second an approver'
                  : 'only an approver who did not start this run may choose these'
              }`,
            ),
          ]
        : []),
      ...(first
        ? [
            section(
              `✋ ${person(first.by)} chose *${esc(clip(firstLabel ?? first.option, 75))}* ${when(first.at)}: it runs when an approver other than them chooses it too.`,
            ),
          ]
        : []),
      ...(resolved
        ? [
            section(
              `ℹ️ The alert that started this run resolved ${when(resolved.at)}: check whether acting is still needed.`,
            ),
          ]
        : []),
    ],
    memo: { question: pending.question },
  };
}

function closed(key: string, step: StepRecord, record: DecisionRecord, question: string | undefined): Draft {
  const options = readDecide(step.result)?.options ?? [];
  const label =
    record.option === DENY
      ? 'Deny (change nothing)'
      : (options.find((o) => o.id === record.option)?.label ?? record.option);
  const outcome = record.auto
    ? record.by.via === 'timeout'
      ? `⏱ Nobody decided in time: the default *${esc(label)}* was taken ${when(record.at)}.`
      : `↷ Nothing to decide (${esc(record.by.name ?? 'automatic')}): nothing will be changed.`
    : `${record.option === DENY ? '🚫' : '✅'} *${esc(label)}* — decided by ${actor(record)} ${when(record.at)}${record.comment ? `: “${esc(record.comment)}”` : ''}`;
  return {
    key: decisionKey(key, step.id),
    text: clip(`Decided: ${esc(label)}`, FALLBACK),
    blocks: [section(`*${esc(question ?? step.title)}*`), section(outcome)],
    ...(question ? { memo: { question } } : {}),
  };
}

function person(by: Actor): string {
  return by.via === 'slack' ? `<@${by.id}>` : `${esc(by.name ?? by.id)}${by.via ? ` (${esc(by.via)})` : ''}`;
}

function actor(record: DecisionRecord): string {
  return record.firstBy ? `${person(record.firstBy)} and ${person(record.by)}` : person(record.by);
}
