// Four eyes on what changes: per option, from the action and its parameters
// (not the run's namespace parameter alone), and who may then choose it —
// an approver who did not start the run, never an unmapped CLI identity.
import { compile } from '../../runbooks/compile.ts';
import { defaultCatalogue, DENY, type ActionRef } from '../../runbooks/index.ts';
import type { DecideRequest, PendingDecision } from '../../model/index.ts';
import { refuseDecision } from '../../workflows/runbook/decisions.ts';
import { fourEyesReasons, needsTwoPeople, twoPeopleStage } from '../../workflows/runbook/four-eyes.ts';
import { cliIdentity } from '../../worker/gateway/access.ts';
import { loadConfig } from '../../worker/config.ts';

// The actions as a compiled runbook carries them, from the real catalogue.
const actions = compile({ name: 'x', version: 1, parameters: {}, steps: [] } as never, defaultCatalogue).actions;
const PRODUCTION = ['production', 'finance'];
const reasons = (action: string, params: Record<string, string>, runNamespace = 'staging', ref?: ActionRef) =>
  fourEyesReasons({ action, params }, ref ?? actions[action], PRODUCTION, runNamespace);

describe('what an option changes', () => {
  test.each([
    [
      'restart DNS in kube-system',
      'rollout-restart',
      { namespace: 'kube-system', deployment: 'coredns' },
      ['destructive', 'kube-system'],
    ],
    [
      'restore a policy in an also= namespace that is production',
      'restore-policy',
      { kind: 'NetworkPolicy', namespace: 'finance', name: 'p' },
      ['production namespace finance'],
    ],
    [
      'restore a cluster-wide policy',
      'restore-policy',
      { kind: 'CiliumClusterwideNetworkPolicy', name: 'p' },
      ['cluster-scoped'],
    ],
    ['cordon a node', 'cordon-node', { node: 'lab-node-2' }, ['destructive', 'cluster-scoped']],
    ['shift a route in staging', 'shift-route-weight', { namespace: 'staging', route: 'r', backend: 'b' }, []],
    [
      'shift a route in production',
      'shift-route-weight',
      { namespace: 'production', route: 'r', backend: 'b' },
      ['production namespace production'],
    ],
    [
      'roll back in staging (destructive wherever it is)',
      'rollback-deployment',
      { namespace: 'staging', deployment: 'd' },
      ['destructive'],
    ],
    ['stop a chaos fault', 'stop-fault', { faultId: 'f1' }, []],
  ])('%s', (_name, action, params, expected) => {
    expect(reasons(action, params)).toEqual(expected);
  });

  test("the run's namespace parameter does not hide an option acting elsewhere", () => {
    // A staging run whose diagnosis offers to restart DNS in kube-system.
    expect(reasons('rollout-restart', { namespace: 'kube-system', deployment: 'coredns' }, 'staging')).toContain(
      'kube-system',
    );
  });

  test('an action nightshift does not know is treated as cluster-scoped; an option without an action changes nothing', () => {
    expect(fourEyesReasons({ action: 'mystery', params: { namespace: 'staging' } }, undefined, PRODUCTION)).toEqual([
      'cluster-scoped',
    ]);
    expect(fourEyesReasons({ params: { namespace: 'production' } }, undefined, PRODUCTION)).toEqual([]);
  });

  test("an action whose entry does not say what it touches acts in its namespace, or else the run's", () => {
    const plugin: ActionRef = { name: 'mark', activity: 'testMark', queue: 'control', destructive: false };
    expect(reasons('mark', {}, 'production', plugin)).toEqual(['production namespace production']);
    expect(reasons('mark', {}, 'staging', plugin)).toEqual([]);
    expect(reasons('mark', { kind: 'ClusterRole' }, 'staging', plugin)).toEqual(['cluster-scoped']);
  });
});

describe('who may choose an option that needs four eyes', () => {
  const pending: PendingDecision = {
    step: 'choose',
    question: 'Fix it?',
    options: [
      { id: 'restart-dns', label: 'Restart DNS', action: 'rollout-restart', fourEyes: ['destructive', 'kube-system'] },
      { id: 'shift', label: 'Shift traffic', action: 'shift-route-weight' },
    ],
    deadline: '2026-11-26T03:15:00Z',
    default: DENY,
    deciders: { roles: ['responder', 'approver'], users: [] },
    secondPerson: false,
  };
  const ctx = { state: 'waiting' as const, pending, decisions: [], requestedBy: { id: 'U0ALICE', name: 'alice' } };
  const decide = (option: string, by: DecideRequest['by']) => refuseDecision({ option, by }, ctx);

  test.each([
    [
      'an approver who did not start the run',
      'restart-dns',
      { id: 'U0BOB', name: 'bob', roles: ['approver'] },
      undefined,
    ],
    [
      'the requester, approver or not',
      'restart-dns',
      { id: 'U0ALICE', name: 'alice', roles: ['approver'] },
      /alice started this run and cannot approve "Restart DNS" changes destructive, kube-system; a second person must decide/,
    ],
    [
      'a responder without the approver role',
      'restart-dns',
      { id: 'U0BOB', name: 'bob', roles: ['responder'] },
      /bob may not approve here: "Restart DNS" changes destructive, kube-system, which needs the approver role/,
    ],
    [
      'an approver whose CLI login is not mapped to a Slack user',
      'restart-dns',
      { id: 'cli:carol', name: 'carol', via: 'cli', roles: ['approver'] },
      /carol is a CLI identity not mapped to a Slack user \(access.cli\)/,
    ],
    [
      'a responder, for an option without four eyes',
      'shift',
      { id: 'U0BOB', name: 'bob', roles: ['responder'] },
      undefined,
    ],
    [
      'the requester declining (declining changes nothing)',
      DENY,
      { id: 'U0ALICE', name: 'alice', roles: ['responder'] },
      undefined,
    ],
  ] as const)('%s', (_name, option, by, expected) => {
    const refusal = decide(option, { ...by, roles: [...by.roles] });
    if (expected === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toMatch(expected);
  });
});

describe('a run an alert started: two people for an option that needs four eyes', () => {
  const alert = { id: 'alertmanager', name: 'alert CheckoutDown', via: 'alert' };
  const base: PendingDecision = {
    step: 'choose',
    question: 'Fix it?',
    options: [
      {
        id: 'restart',
        label: 'Restart cart',
        action: 'rollout-restart',
        fourEyes: ['production namespace production'],
      },
      { id: 'stop', label: 'Stop the fault', action: 'stop-fault' },
    ],
    deadline: '2026-11-26T03:15:00Z',
    default: DENY,
    deciders: { roles: ['responder', 'approver'], users: [] },
    secondPerson: false,
    twoPeople: true,
  };
  const firstByAlice = { option: 'restart', by: { id: 'U0ALICE', name: 'alice' }, at: '2026-11-26T03:01:00Z' };
  const decide = (pending: PendingDecision, option: string, by: DecideRequest['by']) =>
    refuseDecision({ option, by }, { state: 'waiting', pending, decisions: [], requestedBy: alert });

  test('who needs two: alert-started runs, not game days, not people', () => {
    expect(needsTwoPeople(alert, { kind: 'alert', alertname: 'CheckoutDown' })).toBe(true);
    expect(needsTwoPeople(alert, { kind: 'alert', alertname: 'X', gameday: 'gd-1' })).toBe(false);
    expect(needsTwoPeople({ via: 'slack' }, undefined)).toBe(false);
    expect(needsTwoPeople({ via: 'cli' }, { kind: 'alert' })).toBe(false);
  });

  test('the first choice is a first approval, the same option again the second; other options are not two-people ones', () => {
    expect(twoPeopleStage(base, { option: 'restart' })).toBe('first');
    expect(twoPeopleStage({ ...base, firstApproval: firstByAlice }, { option: 'restart' })).toBe('second');
    expect(twoPeopleStage(base, { option: 'stop' })).toBeUndefined();
    expect(twoPeopleStage(base, { option: DENY })).toBeUndefined();
    expect(twoPeopleStage({ ...base, twoPeople: false }, { option: 'restart' })).toBeUndefined();
  });

  test.each([
    [
      'a responder may make the first approval',
      base,
      'restart',
      { id: 'U0ALICE', name: 'alice', roles: ['responder'] },
      undefined,
    ],
    [
      'an unmapped CLI identity may not, even first',
      base,
      'restart',
      { id: 'cli:carol', name: 'carol', via: 'cli', roles: ['approver'] },
      /carol is a CLI identity not mapped/,
    ],
    [
      'the first approver may not be the second',
      { ...base, firstApproval: firstByAlice },
      'restart',
      { id: 'U0ALICE', name: 'alice', roles: ['approver'] },
      /alice already approved "Restart cart" changes production namespace production; an alert started this run, so a second person must approve it too/,
    ],
    [
      'the second must be an approver',
      { ...base, firstApproval: firstByAlice },
      'restart',
      { id: 'U0BOB', name: 'bob', roles: ['responder'] },
      /bob may not approve here: .*needs the approver role/,
    ],
    [
      'an approver who is someone else decides',
      { ...base, firstApproval: firstByAlice },
      'restart',
      { id: 'U0BOB', name: 'bob', roles: ['approver'] },
      undefined,
    ],
    [
      "an option without four eyes is one person's choice",
      base,
      'stop',
      { id: 'U0ALICE', name: 'alice', roles: ['responder'] },
      undefined,
    ],
  ] as const)('%s', (_name, pending, option, by, expected) => {
    const refusal = decide(pending, option, { ...by, roles: [...by.roles] });
    if (expected === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toMatch(expected);
  });
});

describe('a CLI user is who access config says, with the roles it gives', () => {
  const access = loadConfig({}).access;
  const configured = {
    ...access,
    users: { U0BOB: ['responder' as const, 'approver' as const] },
    cli: { bob: 'U0BOB' },
  };

  test("a mapped login is its Slack user, with that user's roles: the same person as in Slack", () => {
    expect(cliIdentity(configured, 'bob')).toEqual({
      id: 'U0BOB',
      name: 'bob',
      via: 'cli',
      roles: ['responder', 'approver'],
      mapped: true,
    });
  });

  test('an unmapped login is cli:<login>, with the roles given to that id (none here)', () => {
    expect(cliIdentity(configured, 'mallory')).toEqual({
      id: 'cli:mallory',
      name: 'mallory',
      via: 'cli',
      roles: [],
      mapped: false,
    });
    expect(cliIdentity(configured, 'constructor')).toMatchObject({ id: 'cli:constructor', mapped: false });
  });
});
