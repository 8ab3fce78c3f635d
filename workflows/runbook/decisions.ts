// Who may decide what, and when. Pure: the Update validator calls it, and so
// do unit tests. Returns the reason to refuse, or undefined to accept. Roles
// are the ones nightshift's access config gives the decider (the gateway and
// the CLI look them up; a flag or a payload never names them).
import { DENY } from '../../runbooks/index.ts';
import type { Actor, DecideRequest, DecisionRecord, PendingDecision, RunState } from '../../model/index.ts';
import { refuseFourEyes, twoPeopleStage } from './four-eyes.ts';

export interface DecisionContext {
  state: RunState;
  pending?: PendingDecision;
  decisions: DecisionRecord[];
  requestedBy: Actor;
}

export function refuseDecision(request: DecideRequest, ctx: DecisionContext): string | undefined {
  if (ctx.state !== 'running' && ctx.state !== 'waiting') return `the run has finished (${ctx.state})`;
  const earlier = ctx.decisions.find((d) => d.step === (request.step ?? ctx.pending?.step));
  if (earlier) {
    const who = earlier.auto ? 'the timeout' : (earlier.by.name ?? earlier.by.id);
    return `already decided: "${earlier.option}" by ${who} at ${earlier.at}`;
  }
  const pending = ctx.pending;
  if (!pending) return request.step ? `no decision is open at step "${request.step}"` : 'no decision is open';
  if (request.step !== undefined && request.step !== pending.step) {
    return `no decision is open at step "${request.step}" (the open one is "${pending.step}")`;
  }
  const ids = pending.options.map((o) => o.id);
  if (request.option !== DENY && !ids.includes(request.option)) {
    return `unknown option "${request.option}" (options: ${[...ids, DENY].join(', ')})`;
  }
  const byUser = pending.deciders.users.includes(request.by.id);
  const byRole = request.by.roles.some((role) => pending.deciders.roles.includes(role));
  if (!byUser && !byRole) {
    return `${request.by.name ?? request.by.id} is not authorised to decide here (needs role ${pending.deciders.roles.join(' or ')})`;
  }
  if (pending.secondPerson && request.option !== DENY && request.by.id === ctx.requestedBy.id) {
    return `${request.by.name ?? request.by.id} started this run and cannot approve its remediation here; a second person must decide`;
  }
  // Declining changes nothing, so it never needs four eyes.
  const chosen = request.option === DENY ? undefined : pending.options.find((o) => o.id === request.option);
  if (!chosen) return undefined;
  // In a run an alert started, the first approval stands in for the person who started it.
  const stage = twoPeopleStage(pending, request);
  const first = stage === 'second' ? pending.firstApproval?.by : undefined;
  return refuseFourEyes(request.by, first ?? ctx.requestedBy, chosen.label, chosen.fourEyes ?? [], stage);
}
