// Four eyes on what changes: per decision option, what it would touch — a
// production namespace, kube-system, anything cluster-scoped, anything
// destructive — computed from the action it runs and its parameters (not from
// the run's `namespace` parameter alone). Such an option may only be chosen by
// an approver who did not start the run, and never by a CLI identity that is
// not mapped to a Slack user. A run an alert started has nobody who started
// it, so there such an option takes two people: the first choice waits for an
// approver who is someone else. Pure: the decide step and its validator use it.
import type { ActionRef } from '../../runbooks/index.ts';
import type { DecideRequest, PendingDecision, Value } from '../../model/index.ts';

/** Runs whose decide step opened from this patch on carry `fourEyes` per option. */
export const FOUR_EYES_PATCH = 'four-eyes-by-option';

/** Namespaces that always need four eyes, production or not. */
export const PROTECTED_NAMESPACES = ['kube-system'];

/** The role that may approve a four-eyes option. */
export const APPROVER = 'approver';

/** The prefix of a CLI identity no config maps to a Slack user (access.cli). */
export const UNMAPPED_CLI = 'cli:';

export interface OptionChange {
  action?: string;
  params?: Record<string, Value>;
  destructive?: boolean;
}

/** The namespaces an option's parameters name (`namespace`, or a comma-separated `namespaces`). */
function namespacesIn(params: Record<string, Value>): string[] {
  const named = [params.namespace, params.namespaces].filter((v): v is string => typeof v === 'string');
  return [
    ...new Set(
      named
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * Why the option needs four eyes; empty when it does not. `action` is the
 * compiled runbook's entry for the option's action (undefined: unknown, so
 * treated as cluster-scoped). An action whose catalogue entry says it touches
 * a namespace acts in the one its parameters name, and without one it is
 * cluster-scoped; an action that does not say (a plugin's, or a runbook
 * compiled before entries said) acts in its own namespace parameter or else
 * the run's (`runNamespace`), unless a `kind` parameter names a cluster-wide
 * kind.
 */
export function fourEyesReasons(
  option: OptionChange,
  action: ActionRef | undefined,
  productionNamespaces: readonly string[],
  runNamespace?: Value,
): string[] {
  if (!option.action) return []; // an option that runs nothing changes nothing
  const reasons: string[] = [];
  if (option.destructive || action?.destructive) reasons.push('destructive');
  if (action?.touches === 'fault') return reasons;
  const params = option.params ?? {};
  const own = namespacesIn(params);
  const clusterKind = typeof params.kind === 'string' && /^Cluster|Clusterwide/.test(params.kind);
  const inferred = action !== undefined && action.touches === undefined && own.length === 0 && !clusterKind;
  const namespaces = inferred && typeof runNamespace === 'string' ? namespacesIn({ namespace: runNamespace }) : own;
  if (!action || action.touches === 'cluster' || clusterKind || namespaces.length === 0) reasons.push('cluster-scoped');
  for (const namespace of namespaces) {
    if (productionNamespaces.includes(namespace)) reasons.push(`production namespace ${namespace}`);
    if (PROTECTED_NAMESPACES.includes(namespace)) reasons.push(namespace);
  }
  return reasons;
}

/**
 * Whether a run needs two people for a four-eyes option: started by an alert
 * (a real one; a game day's synthetic alert is the game day's operator's run).
 */
export function needsTwoPeople(requestedBy: { via?: string }, trigger: Record<string, Value> | undefined): boolean {
  return requestedBy.via === 'alert' && (trigger?.kind ?? 'alert') === 'alert' && trigger?.gameday === undefined;
}

/**
 * What a choice of a four-eyes option is in a two-people decision: the first
 * approval (nobody has chosen it yet, or someone chose another option), or
 * the second, which decides. Undefined: not a two-people choice.
 */
export function twoPeopleStage(
  pending: PendingDecision,
  request: Pick<DecideRequest, 'option'>,
): 'first' | 'second' | undefined {
  const option = pending.options.find((o) => o.id === request.option);
  if (!pending.twoPeople || !option?.fourEyes?.length) return undefined;
  return pending.firstApproval?.option === request.option ? 'second' : 'first';
}

/** Why this decider may not choose an option needing four eyes for `reasons`, or undefined. */
export function refuseFourEyes(
  by: { id: string; name?: string; roles: string[] },
  requestedBy: { id: string },
  label: string,
  reasons: readonly string[],
  stage?: 'first' | 'second',
): string | undefined {
  if (reasons.length === 0) return undefined;
  const who = by.name ?? by.id;
  const what = `"${label}" changes ${reasons.join(', ')}`;
  if (stage === undefined && by.id === requestedBy.id)
    return `${who} started this run and cannot approve ${what}; a second person must decide`;
  if (by.id.startsWith(UNMAPPED_CLI))
    return `${who} is a CLI identity not mapped to a Slack user (access.cli), and ${what}: decide in Slack, or map the CLI user`;
  if (stage === 'first') return undefined; // the first of two people proposes; the second must be an approver
  if (stage === 'second' && by.id === requestedBy.id)
    return `${who} already approved ${what}; an alert started this run, so a second person must approve it too`;
  if (!by.roles.includes(APPROVER)) return `${who} may not approve here: ${what}, which needs the ${APPROVER} role`;
  return undefined;
}
