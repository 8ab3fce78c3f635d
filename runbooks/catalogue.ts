// The names a runbook may use for collectors, remediation actions and probes,
// and the activities behind them. Pure data: validation resolves every name
// here, so a compiled runbook carries activity names and the workflow never
// needs this table (editing it cannot break a running incident's replay).

/** Which worker runs an activity: the control worker, or the node agent on the target's node. */
export type ActivityQueue = 'control' | 'node';

export interface CatalogueEntry {
  /** Registered activity function name. */
  activity: string;
  description: string;
  queue?: ActivityQueue;
}

export interface ActionEntry extends CatalogueEntry {
  /** Activity that undoes this action, given the action's result. */
  undo?: string;
  /** Restart, cordon, rollback: never offered below 0.5 confidence. */
  destructive: boolean;
}

export interface Catalogue {
  collectors: Record<string, CatalogueEntry>;
  actions: Record<string, ActionEntry>;
  probes: Record<string, CatalogueEntry>;
  /** Activities the interpreter itself calls. */
  builtins: { diagnose: string; notify: string };
}

export const defaultCatalogue: Catalogue = {
  collectors: {},
  actions: {},
  probes: {},
  builtins: { diagnose: 'diagnose', notify: 'notify' },
};

/** A catalogue extended with more entries (tests, plugins). */
export function extendCatalogue(base: Catalogue, extra: Partial<Catalogue>): Catalogue {
  return {
    collectors: { ...base.collectors, ...extra.collectors },
    actions: { ...base.actions, ...extra.actions },
    probes: { ...base.probes, ...extra.probes },
    builtins: { ...base.builtins, ...extra.builtins },
  };
}
