// Compilation of a valid runbook document into the form the workflow runs:
// every catalogue name resolved to its activity and queue, every duration in
// milliseconds, every action a decision may offer listed. Pure.
import { parseDuration } from '../model/index.ts';
import type { Catalogue, CatalogueEntry } from './catalogue.ts';
import type { ActionRef, ActivityRef, CompiledRunbook, CompiledStep } from './compiled.ts';
import type { Condition, RunbookDocument, Step } from './schema.ts';

function entryRef(name: string, entry: CatalogueEntry): ActivityRef {
  return { name, activity: entry.activity, queue: entry.queue ?? 'control' };
}

function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

export function compile(document: RunbookDocument, catalogue: Catalogue): CompiledRunbook {
  const actions: Record<string, ActionRef> = {};
  for (const [name, entry] of Object.entries(catalogue.actions)) {
    actions[name] = {
      ...entryRef(name, entry),
      destructive: entry.destructive,
      ...(entry.undo ? { undo: entry.undo } : {}),
      ...(entry.touches ? { touches: entry.touches } : {}),
    };
  }
  const gatherIds = document.steps.filter((s) => s.kind === 'gather').map((s) => s.id);
  const compileStep: { [K in Step['kind']]: (s: Extract<Step, { kind: K }>, index: number) => CompiledStep } = {
    gather: (s) => ({
      ...base(s),
      kind: 'gather',
      collectors: s.collectors.map((c) => ({
        ...entryRef(c.collector, catalogue.collectors[c.collector] as CatalogueEntry),
        key: c.id ?? c.collector,
        timeoutMs: ms(c.timeout),
        params: c.params,
      })),
    }),
    diagnose: (s, index) => ({
      ...base(s),
      kind: 'diagnose',
      from: s.from ?? gatherIds.filter((id) => document.steps.findIndex((x) => x.id === id) < index),
      activity: catalogue.builtins.diagnose,
      timeoutMs: ms(s.timeout),
    }),
    decide: (s) => ({
      ...base(s),
      kind: 'decide',
      question: s.question,
      options: s.options,
      ...(s.optionsFrom ? { optionsFrom: s.optionsFrom } : {}),
      deciders: s.deciders,
      timeoutMs: ms(s.timeout),
      default: s.default,
      secondPerson: s.secondPerson,
    }),
    act: (s) => ({
      ...base(s),
      kind: 'act',
      ...(s.action ? { action: actions[s.action] as ActionRef } : {}),
      ...(s.fromDecision ? { fromDecision: s.fromDecision } : {}),
      params: s.params,
      timeoutMs: ms(s.timeout),
      compensate: s.compensate,
      dryRun: s.dryRun,
    }),
    verify: (s) => ({
      ...base(s),
      kind: 'verify',
      probe: entryRef(s.probe, catalogue.probes[s.probe] as CatalogueEntry),
      params: s.params,
      condition: s.condition,
      deadlineMs: ms(s.deadline),
      intervalMs: ms(s.interval),
    }),
    notify: (s) => ({
      ...base(s),
      kind: 'notify',
      activity: catalogue.builtins.notify,
      message: s.message,
      ...(s.channel ? { channel: s.channel } : {}),
      attach: s.attach,
    }),
  };
  return {
    name: document.name,
    title: document.title ?? document.name,
    version: document.version,
    parameters: document.parameters,
    steps: document.steps.map((s, index) => (compileStep[s.kind] as (s: Step, i: number) => CompiledStep)(s, index)),
    actions,
  };
}

function base(step: { id: string; title?: string; when?: Condition }): { id: string; title: string; when?: Condition } {
  return { id: step.id, title: step.title ?? step.id, ...(step.when ? { when: step.when } : {}) };
}
