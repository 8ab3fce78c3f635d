// Every name the catalogue hands to a compiled runbook — collectors, actions
// and their undos, probes, the interpreter's builtins — is an activity that
// the worker on its queue registers: the control worker's createActivities,
// or the node agent's createAgentActivities (faults and vantage points). A typo would otherwise
// surface only when a workflow calls it (an undo, during compensation).
import { createActivities, createAgentActivities } from '../../activities/index.ts';
import { defaultCatalogue, type CatalogueEntry } from '../../runbooks/index.ts';

const registered = {
  control: new Set(Object.keys(createActivities({ evidence: {} }))),
  node: new Set(Object.keys(createAgentActivities({ node: 'catalogue-test' }))),
};

const entries = (table: Record<string, CatalogueEntry & { undo?: string }>, kind: string) =>
  Object.entries(table).flatMap(([name, entry]) => {
    const queue = entry.queue ?? 'control';
    const own = [{ what: `${kind} ${name}`, activity: entry.activity, queue }];
    return entry.undo ? [...own, { what: `${kind} ${name} (undo)`, activity: entry.undo, queue }] : own;
  });

const all = [
  ...entries(defaultCatalogue.collectors, 'collector'),
  ...entries(defaultCatalogue.actions, 'action'),
  ...entries(defaultCatalogue.probes, 'probe'),
  ...Object.entries(defaultCatalogue.builtins).map(([name, activity]) => ({
    what: `builtin ${name}`,
    activity,
    queue: 'control' as const,
  })),
];

describe('the catalogue names only registered activities', () => {
  test.each(all)('$what is $activity on the $queue worker', ({ activity, queue }) => {
    expect([...registered[queue]]).toContain(activity);
  });

  test('the two workers register different activities (the queue decides which one runs a name)', () => {
    const both = [...registered.node].filter((name) => registered.control.has(name));
    expect(both).toEqual([]);
  });
});
