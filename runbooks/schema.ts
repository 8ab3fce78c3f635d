// The shape of a runbook document. Shape only: cross-references (step ids,
// catalogue names, templates) are checked in validate.ts.
import { z } from 'zod';
import { durationSchema, valueSchema, type Value } from '../model/index.ts';

const ID_HINT = 'expected an id of lowercase letters, digits and dashes, like "gather-evidence"';
export const idSchema = z.string({ error: ID_HINT }).regex(/^[a-z][a-z0-9-]{0,62}$/, { error: ID_HINT });

export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'missing'] as const;
export type Operator = (typeof OPERATORS)[number];

export type Condition =
  { all: Condition[] } | { any: Condition[] } | { not: Condition } | { path: string; op: Operator; value?: Value };

const CONDITION_HINT = 'expected a condition: {path, op, value}, {all: [...]}, {any: [...]} or {not: {...}}';

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union(
    [
      z.strictObject({ all: z.array(conditionSchema).min(1) }),
      z.strictObject({ any: z.array(conditionSchema).min(1) }),
      z.strictObject({ not: conditionSchema }),
      z.strictObject({
        path: z.string().regex(/^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$/, {
          error: 'expected a dotted path like "steps.choose.choice"',
        }),
        op: z.enum(OPERATORS, { error: `expected an operator, one of ${OPERATORS.join(', ')}` }),
        value: valueSchema.optional(),
      }),
    ],
    { error: CONDITION_HINT },
  ),
);

const paramsSchema = z.record(z.string(), valueSchema).default({});

const common = {
  id: idSchema,
  title: z.string().optional(),
  /** Run the step only when this holds over earlier results; otherwise it is skipped. */
  when: conditionSchema.optional(),
};

export const collectorRefSchema = z.strictObject({
  collector: z.string().min(1),
  /** Key of this collector's evidence in the step result; defaults to the collector name. */
  id: idSchema.optional(),
  timeout: durationSchema.default('10s'),
  params: paramsSchema,
});

export const gatherStepSchema = z.strictObject({
  ...common,
  kind: z.literal('gather'),
  collectors: z.array(collectorRefSchema).min(1, { error: 'a gather step needs at least one collector' }),
});

export const diagnoseStepSchema = z.strictObject({
  ...common,
  kind: z.literal('diagnose'),
  /** Gather steps whose evidence is diagnosed; defaults to every earlier gather step. */
  from: z.array(idSchema).optional(),
  timeout: durationSchema.default('30s'),
});

export const optionSchema = z.strictObject({
  id: idSchema,
  label: z.string().min(1),
  /** A catalogue action run by an `act` step that follows this decision. */
  action: z.string().min(1).optional(),
  params: paramsSchema,
});

export const decideStepSchema = z.strictObject({
  ...common,
  kind: z.literal('decide'),
  question: z.string().min(1),
  options: z.array(optionSchema).default([]),
  /** Offer the remediations of a diagnose step's hypotheses as options. */
  optionsFrom: z
    .strictObject({
      step: idSchema,
      minConfidence: z.number().min(0).max(1).default(0),
      max: z.number().int().positive().default(4),
    })
    .optional(),
  deciders: z
    .strictObject({
      roles: z.array(z.enum(['viewer', 'responder', 'chaos-operator', 'approver'])).default(['responder']),
      users: z.array(z.string()).default([]),
    })
    .prefault({}),
  timeout: durationSchema,
  /** Option taken when nobody decides in time: an option id, or "deny" to do nothing. */
  default: z.string().min(1),
  /** Whether the person who started the run may decide: "production" forbids it in production namespaces. */
  secondPerson: z.enum(['production', 'always', 'never']).default('production'),
});

export const actStepSchema = z
  .strictObject({
    ...common,
    kind: z.literal('act'),
    action: z.string().min(1).optional(),
    /** Run the action of the option chosen at this decide step. */
    fromDecision: idSchema.optional(),
    params: paramsSchema,
    timeout: durationSchema.default('2m'),
    /** Undo this action if the run is aborted or cancelled. */
    compensate: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  })
  .refine((step) => (step.action === undefined) !== (step.fromDecision === undefined), {
    error: 'an act step needs exactly one of "action" or "fromDecision"',
    path: ['action'],
  });

export const verifyStepSchema = z.strictObject({
  ...common,
  kind: z.literal('verify'),
  probe: z.string().min(1),
  params: paramsSchema,
  /** Holds over the probe's result, e.g. {path: result.successRate, op: gte, value: 0.99}. */
  condition: conditionSchema,
  deadline: durationSchema,
  interval: durationSchema.default('5s'),
});

export const notifyStepSchema = z.strictObject({
  ...common,
  kind: z.literal('notify'),
  message: z.string().min(1),
  channel: z.string().optional(),
  attach: z.array(z.enum(['evidence', 'diagnosis', 'decisions', 'report'])).default([]),
});

export const STEP_KINDS = ['gather', 'diagnose', 'decide', 'act', 'verify', 'notify'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const stepSchema = z.discriminatedUnion(
  'kind',
  [gatherStepSchema, diagnoseStepSchema, decideStepSchema, actStepSchema, verifyStepSchema, notifyStepSchema],
  { error: `expected a step kind, one of ${STEP_KINDS.join(', ')}` },
);

export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'duration'] as const;

export const parameterSchema = z.strictObject({
  type: z.enum(PARAM_TYPES, { error: `expected a parameter type, one of ${PARAM_TYPES.join(', ')}` }),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().default(false),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
});

export const runbookSchema = z.strictObject({
  name: idSchema,
  title: z.string().optional(),
  description: z.string().optional(),
  version: z.number().int().positive().default(1),
  parameters: z.record(z.string().regex(/^[a-zA-Z_][\w]*$/), parameterSchema).default({}),
  steps: z.array(z.unknown()).min(1, { error: 'a runbook needs at least one step' }),
});

export type GatherStep = z.infer<typeof gatherStepSchema>;
export type DiagnoseStep = z.infer<typeof diagnoseStepSchema>;
export type DecideStep = z.infer<typeof decideStepSchema>;
export type DecisionOption = z.infer<typeof optionSchema>;
export type ActStep = z.infer<typeof actStepSchema>;
export type VerifyStep = z.infer<typeof verifyStepSchema>;
export type NotifyStep = z.infer<typeof notifyStepSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Parameter = z.infer<typeof parameterSchema>;
export type RunbookDocument = Omit<z.infer<typeof runbookSchema>, 'steps'> & { steps: Step[] };
