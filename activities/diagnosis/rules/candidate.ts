// What a rule proposes: a hypothesis without its title (the catalogue has it).
import type { Hypothesis } from '../../../model/index.ts';
import type { HypothesisId } from '../catalogue.ts';
import type { Signals } from '../signals.ts';

export type Candidate = Omit<Hypothesis, 'title' | 'id'> & { id: HypothesisId };

export type Rule = (s: Signals) => Candidate | undefined;
