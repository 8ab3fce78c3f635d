// One handler per step kind, dispatched through a map. Each returns the
// step's result, which later steps see as `steps.<id>`.
import * as wf from '@temporalio/workflow';
import type {
  ActionResult,
  CollectorResult,
  Diagnosis,
  StepCall,
  StepContext,
  DiagnoseCall,
  RunStatus,
  Value,
  OptionView,
} from '../../model/index.ts';
import { DENY, evaluate, render, renderParams } from '../../runbooks/index.ts';
import type {
  DecisionOption,
  ActionRef,
  ActivityRef,
  CompiledAct,
  CompiledDecide,
  CompiledDiagnose,
  CompiledGather,
  CompiledNotify,
  CompiledStep,
  CompiledVerify,
} from '../../runbooks/index.ts';
import { catalogueActivity } from '../activities.ts';
import { COLLECTOR_START_TIMEOUT_MS, collectorOptions, presets, stepOptions } from '../presets.ts';
import { FOUR_EYES_PATCH, fourEyesReasons, needsTwoPeople } from './four-eyes.ts';
import type { Run } from './state.ts';

function call<R, A extends { params?: Record<string, Value> } = StepCall>(
  ref: ActivityRef,
  options: wf.ActivityOptions,
  arg: A,
): Promise<R> {
  return catalogueActivity<R, A>(ref, options, arg.params?.node)(arg);
}

function context(run: Run, step: CompiledStep): StepContext {
  const { workflowId } = wf.workflowInfo();
  return { workflowId, runbook: run.status.runbook, stepId: step.id, key: `${workflowId}/${step.id}` };
}

function message(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Why a collector gave nothing: a worker that never started it is told apart from a collector past its time. */
function collectorFailure(err: unknown, name: string, timeoutMs: number): string {
  const timeout =
    err instanceof wf.ActivityFailure && err.cause instanceof wf.TimeoutFailure ? err.cause.timeoutType : undefined;
  if (timeout === 'SCHEDULE_TO_START')
    return `collector ${name} did not start within ${seconds(COLLECTOR_START_TIMEOUT_MS)}: no worker picked it up (busy or gone)`;
  if (timeout) return `collector ${name} did not answer within ${seconds(timeoutMs)} of starting`;
  return `collector ${name} gave no evidence: ${message(err)}`;
}

export interface GatherResult {
  collectors: Record<string, CollectorResult>;
  findings: CollectorResult['findings'];
}

async function gather(step: CompiledGather, run: Run): Promise<GatherResult> {
  const scope = run.scope();
  const entries = await Promise.all(
    step.collectors.map(async (collector): Promise<[string, CollectorResult]> => {
      const started = Date.now();
      const arg: StepCall = { params: renderParams(collector.params, scope), context: context(run, step) };
      try {
        return [collector.key, await call<CollectorResult>(collector, collectorOptions(collector.timeoutMs), arg)];
      } catch (err) {
        if (wf.isCancellation(err)) throw err;
        // A slow or failing collector is a finding, never a failed run.
        const error = message(err);
        return [
          collector.key,
          {
            collector: collector.name,
            ok: false,
            durationMs: Date.now() - started,
            error,
            findings: [
              {
                kind: 'collector.failed',
                severity: 'warning',
                summary: collectorFailure(err, collector.name, collector.timeoutMs),
                source: collector.name,
              },
            ],
          },
        ];
      }
    }),
  );
  const collectors = Object.fromEntries(entries);
  return { collectors, findings: entries.flatMap(([, result]) => result.findings) };
}

async function diagnose(step: CompiledDiagnose, run: Run): Promise<Diagnosis> {
  const evidence: Record<string, Record<string, CollectorResult>> = {};
  for (const id of step.from) {
    const gathered = run.results[id] as GatherResult | undefined;
    if (gathered) evidence[id] = gathered.collectors;
  }
  const ref: ActivityRef = { name: 'diagnose', activity: step.activity, queue: 'control' };
  const diagnosis = await call<Diagnosis, DiagnoseCall>(
    ref,
    { ...presets.short, startToCloseTimeout: step.timeoutMs },
    {
      params: run.input.params,
      context: context(run, step),
      evidence,
    },
  );
  run.setDiagnosis(diagnosis);
  return diagnosis;
}

export interface DecideResult {
  choice: string;
  option?: DecisionOption & { destructive?: boolean };
  by: { id: string; name?: string };
  at: string;
  auto: boolean;
  options: (DecisionOption & { destructive?: boolean })[];
}

/** Static options plus the remediations of the diagnosis, best first. */
export function decisionOptions(step: CompiledDecide, run: Run): (DecisionOption & { destructive?: boolean })[] {
  const options: (DecisionOption & { destructive?: boolean })[] = [...step.options];
  if (!step.optionsFrom) return options;
  const diagnosis = run.results[step.optionsFrom.step] as Diagnosis | undefined;
  const ids = new Set(options.map((o) => o.id));
  for (const hypothesis of diagnosis?.hypotheses ?? []) {
    if (hypothesis.confidence < step.optionsFrom.minConfidence) continue;
    for (const remedy of hypothesis.remediations) {
      const action = run.input.runbook.actions[remedy.action];
      const destructive = remedy.destructive || (action?.destructive ?? false);
      // Never offer a destructive action on a hypothesis below 0.5 confidence.
      if (!action || ids.has(remedy.id) || (destructive && hypothesis.confidence < 0.5)) continue;
      ids.add(remedy.id);
      const percent = Math.round(hypothesis.confidence * 100);
      options.push({
        id: remedy.id,
        label: `${remedy.title} (${hypothesis.id}, ${percent}%)`,
        action: remedy.action,
        params: remedy.params,
        destructive,
      });
      if (options.length - step.options.length >= step.optionsFrom.max) return options;
    }
  }
  return options;
}

async function decide(step: CompiledDecide, run: Run): Promise<DecideResult> {
  const options = decisionOptions(step, run);
  const now = () => new Date().toISOString();
  if (options.length === 0) {
    const record = run.decide({
      step: step.id,
      option: DENY,
      by: { id: 'nightshift', name: 'nothing to decide' },
      at: now(),
      auto: true,
    });
    return { choice: DENY, by: record.by, at: record.at, auto: true, options };
  }
  const namespace = run.input.params.namespace;
  const productionNamespaces = run.input.productionNamespaces ?? [];
  const production = typeof namespace === 'string' && productionNamespaces.includes(namespace);
  // Decisions opened before four eyes per option existed keep the rule they were opened with.
  const perOption = wf.patched(FOUR_EYES_PATCH);
  const view: OptionView[] = options.map((o) => {
    const reasons = perOption
      ? fourEyesReasons(
          { ...o, params: renderParams(o.params ?? {}, run.scope()) },
          o.action ? run.input.runbook.actions[o.action] : undefined,
          productionNamespaces,
          namespace,
        )
      : [];
    return {
      id: o.id,
      label: o.label,
      ...(o.action ? { action: o.action } : {}),
      ...(o.destructive !== undefined ? { destructive: o.destructive } : {}),
      ...(reasons.length ? { fourEyes: reasons } : {}),
    };
  });
  run.open({
    step: step.id,
    question: String(render(step.question, run.scope())),
    options: view,
    deadline: new Date(Date.now() + step.timeoutMs).toISOString(),
    default: step.default,
    deciders: step.deciders,
    secondPerson: step.secondPerson === 'always' || (step.secondPerson === 'production' && production),
    ...(perOption && needsTwoPeople(run.input.requestedBy, run.input.trigger) && view.some((o) => o.fourEyes)
      ? { twoPeople: true }
      : {}),
  });
  await run.published();
  const decided = await wf.condition(() => run.decisionAt(step.id) !== undefined, step.timeoutMs);
  if (!decided) {
    run.decide({
      step: step.id,
      option: step.default,
      by: { id: 'nightshift', name: 'timeout', via: 'timeout' },
      at: now(),
      auto: true,
    });
  }
  const record = run.decisionAt(step.id);
  if (!record) throw wf.ApplicationFailure.nonRetryable(`decision at ${step.id} vanished`);
  const option = options.find((o) => o.id === record.option);
  return {
    choice: record.option,
    ...(option ? { option } : {}),
    by: record.by,
    at: record.at,
    auto: record.auto,
    options,
  };
}

export interface ActResult extends Partial<ActionResult> {
  action?: string;
  params?: Record<string, Value>;
  dryRun?: boolean;
  skipped?: string;
}

async function act(step: CompiledAct, run: Run): Promise<ActResult> {
  let action: ActionRef | undefined = step.action;
  let params: Record<string, Value> = step.params;
  if (step.fromDecision) {
    const decision = run.results[step.fromDecision] as DecideResult | undefined;
    if (!decision || decision.choice === DENY) return { skipped: `declined at ${step.fromDecision}` };
    const chosen = decision.option;
    if (!chosen?.action) return { skipped: `option "${decision.choice}" has no action` };
    action = run.input.runbook.actions[chosen.action];
    params = { ...chosen.params, ...step.params };
  }
  if (!action) throw wf.ApplicationFailure.nonRetryable(`step ${step.id} has no action to run`, 'InvalidInput');
  const arg: StepCall = { params: renderParams(params, run.scope()), context: context(run, step), dryRun: step.dryRun };
  // The undo is registered before the change, so a crash or abort mid-action still undoes it.
  const undo = step.compensate && action.undo && !step.dryRun ? { ...arg } : undefined;
  if (undo && action.undo)
    run.registerUndo({ step: step.id, activity: action.undo, queue: action.queue, args: [undo] });
  const result = await call<ActionResult>(action, stepOptions(step.timeoutMs), arg);
  if (undo && result.undo) Object.assign(undo, { undo: result.undo });
  return { action: action.name, params: arg.params, dryRun: step.dryRun, ...result };
}

export interface VerifyResult {
  ok: boolean;
  attempts: number;
  result?: unknown;
  error?: string;
}

async function verify(step: CompiledVerify, run: Run): Promise<VerifyResult> {
  const deadline = Date.now() + step.deadlineMs;
  const arg: StepCall = { params: renderParams(step.params, run.scope()), context: context(run, step) };
  const options = { ...presets.short, startToCloseTimeout: Math.max(1000, Math.min(step.deadlineMs, 30_000)) };
  for (let attempts = 1; ; attempts++) {
    let result: unknown;
    let error: string | undefined;
    try {
      result = await call<unknown>(step.probe, options, arg);
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      error = message(err);
    }
    const ok = error === undefined && evaluate(step.condition, run.scope({ result }));
    if (ok) return { ok, attempts, result };
    if (Date.now() + step.intervalMs > deadline) {
      return { ok: false, attempts, ...(result === undefined ? {} : { result }), ...(error ? { error } : {}) };
    }
    await wf.sleep(step.intervalMs);
  }
}

async function notify(step: CompiledNotify, run: Run): Promise<unknown> {
  const channel = step.channel ?? run.input.notify?.channel;
  const ref: ActivityRef = { name: 'notify', activity: step.activity, queue: 'control' };
  return call<unknown, StepCall & { status: RunStatus }>(ref, presets.short, {
    params: {
      message: String(render(step.message, run.scope())),
      attach: step.attach,
      ...(channel ? { channel } : {}),
    },
    context: context(run, step),
    status: run.status,
  });
}

type Handlers = {
  [K in CompiledStep['kind']]: (step: Extract<CompiledStep, { kind: K }>, run: Run) => Promise<unknown>;
};

export const handlers: Handlers = { gather, diagnose, decide, act, verify, notify };

export function runStep(step: CompiledStep, run: Run): Promise<unknown> {
  return (handlers[step.kind] as (step: CompiledStep, run: Run) => Promise<unknown>)(step, run);
}
