// A lab run's ranking as a scenario test reports it: every hypothesis with
// its confidence and the margin between first and second, beside the same
// evidence diagnosed again with nightshift's fault registry taken out (the
// `faults` collector's result removed from the bundle). The second is what a
// real incident would rank, so it is the one the tests judge.
import { diagnose } from '../../../activities/diagnosis/index.ts';
import type { CollectorResult, Hypothesis, RunStatus } from '../../../model/index.ts';

export interface Ranking {
  /** Hypothesis ids, best first. */
  ids: string[];
  /** "id 0.95" per hypothesis, best first. */
  all: string[];
  /** First minus second confidence (the first's own when it stands alone). */
  margin: number;
  outcome?: string;
  headline?: string;
}

function rankingOf(hypotheses: Hypothesis[], outcome?: string, headline?: string): Ranking {
  const [first, second] = hypotheses;
  return {
    ids: hypotheses.map((h) => h.id),
    all: hypotheses.map((h) => `${h.id} ${h.confidence}`),
    margin: Math.round(((first?.confidence ?? 0) - (second?.confidence ?? 0)) * 100) / 100,
    ...(outcome ? { outcome } : {}),
    ...(headline ? { headline } : {}),
  };
}

/** The ranking the run made (the registry attributes after ranking). */
export function withRegistry(status: RunStatus): Ranking {
  return rankingOf(status.diagnosis?.hypotheses ?? [], status.diagnosis?.outcome, status.diagnosis?.headline);
}

/** The run's own evidence diagnosed again without nightshift's fault registry. */
export function withoutRegistry(status: RunStatus): Ranking {
  const gather = status.steps.find((s) => s.id === 'gather')?.result as
    { collectors?: Record<string, CollectorResult> } | undefined;
  const evidence = Object.fromEntries(
    Object.entries(gather?.collectors ?? {}).filter(([, result]) => result.collector !== 'faults'),
  );
  const d = diagnose({ gather: evidence }, status.params);
  return rankingOf(d.hypotheses, d.outcome, d.headline);
}

/** One line for the test's output: "<scenario>: expected X; top Y 0.95, margin 0.4; all: …". */
export function rankingLine(scenario: string, expected: string[], ranking: Ranking, label: string): string {
  return (
    `${scenario} [${label}]: expected ${expected.join(' + ')}; top ${ranking.all[0] ?? 'none'}, ` +
    `margin ${ranking.margin}; ${ranking.outcome ?? ''}; all: ${ranking.all.join(', ')}`
  );
}
