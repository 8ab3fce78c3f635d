// Attribution, after ranking: which of nightshift's own active faults match
// a hypothesis. A match adds a note to its explanation, cites the fault and
// offers stop-fault; it never changes a confidence or the order. A real
// incident has no such faults, and a game day is scored on the ranking alone.
import type { Hypothesis } from '../../model/index.ts';
import { citeFaults, matchingFaults, stopFault } from './remedies.ts';
import type { Subject } from './rules/candidate.ts';
import type { Signals } from './signals.ts';

export function attribute(hypothesis: Hypothesis, subject: Subject | undefined, s: Signals): Hypothesis {
  if (!subject || !s.faults) return hypothesis;
  const namespaces = subject.namespaces?.length ? subject.namespaces : [undefined];
  const faults = [
    ...new Set(
      namespaces.flatMap((namespace) =>
        matchingFaults(s, {
          kind: subject.kind,
          ...(subject.on ? { on: subject.on } : {}),
          ...(namespace ? { namespace } : {}),
          ...(subject.port ? { port: subject.port } : {}),
          ...(subject.protocol ? { protocol: subject.protocol } : {}),
          ...(subject.node ? { node: subject.node } : {}),
        }),
      ),
    ),
  ].sort();
  if (faults.length === 0) return hypothesis;
  const offered = new Set(hypothesis.remediations.map((r) => r.id));
  return {
    ...hypothesis,
    explanation: `${hypothesis.explanation} This matches active nightshift fault ${faults.join(', ')}.`,
    evidence: [...new Set([...hypothesis.evidence, ...citeFaults(s, faults)])],
    remediations: [...faults.map(stopFault).filter((r) => !offered.has(r.id)), ...hypothesis.remediations],
  };
}
