// Public face of the diagnosis: the pure function, its catalogue, and the activity.
export { createDiagnoseActivities } from './activity.ts';
export { CONFIDENT, HYPOTHESES, type HypothesisId } from './catalogue.ts';
export { diagnose, RULES, type DiagnosisDetail } from './diagnose.ts';
