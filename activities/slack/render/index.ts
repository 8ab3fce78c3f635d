// A run's whole thread as drafts, in the order they should appear: the parent
// first, then evidence, diagnosis and decisions as the steps produce them.
import type { RunStatus } from '../../../model/index.ts';
import type { Draft } from './blocks.ts';
import { decisionKey, renderDecision } from './decision.ts';
import { renderDiagnosis } from './diagnosis.ts';
import { renderEvidence } from './evidence.ts';
import { renderParent } from './parent.ts';

export type { Draft, SlackBlock } from './blocks.ts';
export { decisionKey } from './decision.ts';

export interface RunThread {
  parent: Draft;
  replies: Draft[];
}

/** `remembered(key)` hands back the memo stored with an existing message. */
export function renderRun(
  key: string,
  status: RunStatus,
  now: Date,
  remembered: (key: string) => Record<string, string> | undefined = () => undefined,
): RunThread {
  const replies: Draft[] = [];
  for (const step of status.steps) {
    const evidence = renderEvidence(key, step);
    if (evidence) replies.push(evidence);
    if (step.kind === 'diagnose' && step.status === 'done') {
      const diagnosis = renderDiagnosis(key, status.diagnosis);
      if (diagnosis) replies.push(diagnosis);
    }
    const decision = renderDecision(key, step, status, remembered(decisionKey(key, step.id)));
    if (decision) replies.push(decision);
  }
  return { parent: renderParent(key, status, now), replies };
}
