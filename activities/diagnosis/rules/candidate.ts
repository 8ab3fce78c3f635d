// What a rule proposes: a hypothesis without its title (the catalogue has it),
// and what it is about, so that after ranking it can be matched to
// nightshift's own faults (attribution never changes a confidence).
import type { Hypothesis } from '../../../model/index.ts';
import type { HypothesisId } from '../catalogue.ts';
import type { Signals } from '../signals.ts';

/** The traffic a hypothesis is about, as a fault would target it. */
export interface Subject {
  kind: 'drop' | 'delay';
  /** A fault on workloads (pods of a namespace) or on a node's own interface. */
  on?: 'workload' | 'node';
  namespaces?: string[];
  port?: number;
  protocol?: string;
  node?: string;
}

export type Candidate = Omit<Hypothesis, 'title' | 'id'> & { id: HypothesisId; subject?: Subject };

export type Rule = (s: Signals) => Candidate | undefined;
