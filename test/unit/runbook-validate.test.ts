// Runbook validation reads as a specification: each mistake a person makes
// gets its own message, at its own path, all reported at once.
import { formatProblem, validateRunbook } from '../../runbooks/index.ts';
import { validateRunbookText } from '../../runbooks/loader.ts';
import { testCatalogue } from '../fixtures/engine/catalogue.ts';

const valid = `
name: small
parameters:
  namespace: { type: string, default: production }
steps:
  - id: gather
    kind: gather
    collectors:
      - collector: echo
        timeout: 5s
        params: { namespace: "\${params.namespace}" }
  - id: diagnose
    kind: diagnose
  - id: choose
    kind: decide
    question: Fix it?
    optionsFrom: { step: diagnose }
    timeout: 10m
    default: deny
  - id: fix
    kind: act
    fromDecision: choose
  - id: check
    kind: verify
    probe: counter
    condition: { path: result.calls, op: gte, value: 1 }
    deadline: 1m
  - id: tell
    kind: notify
    message: "done: \${steps.choose.choice}"
`;

function problems(yaml: string): string[] {
  const result = validateRunbookText(yaml, { catalogue: testCatalogue });
  if (result.ok) throw new Error('expected problems, the runbook was valid');
  return result.problems.map(formatProblem);
}

/** Replace one line of the valid runbook (by its exact text) and validate. */
function mistake(find: string, replace: string): string[] {
  if (!valid.includes(find)) throw new Error(`fixture does not contain ${find}`);
  return problems(valid.replace(find, replace));
}

describe('runbook validation', () => {
  test('a valid runbook compiles: activities resolved, durations in ms, diagnose reads earlier gathers', () => {
    const result = validateRunbookText(valid, { catalogue: testCatalogue });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const [gather, diagnose, choose] = result.runbook.steps;
    expect(gather).toMatchObject({
      kind: 'gather',
      collectors: [{ name: 'echo', activity: 'testCollect', key: 'echo', timeoutMs: 5000 }],
    });
    expect(diagnose).toMatchObject({ kind: 'diagnose', from: ['gather'], activity: 'testDiagnose' });
    expect(choose).toMatchObject({ kind: 'decide', timeoutMs: 600_000, deciders: { roles: ['responder'], users: [] } });
    expect(result.runbook.actions.mark).toEqual({
      name: 'mark',
      activity: 'testMark',
      queue: 'control',
      undo: 'testUnmark',
      destructive: false,
    });
  });

  const cases: [string, string, string, string][] = [
    [
      'a duration that is not one',
      '        timeout: 5s',
      '        timeout: 5 seconds',
      'steps[0].collectors[0].timeout: expected a duration like "30s" (line 10)',
    ],
    [
      'an unknown step kind',
      '    kind: diagnose',
      '    kind: diagnoze',
      'steps[1].kind: expected a step kind, one of gather, diagnose, decide, act, verify, notify (line 13)',
    ],
    [
      'a misspelt field',
      '    deadline: 1m',
      '    deadline: 1m\n    intervall: 5s',
      'steps[4].intervall: unknown field (line 28)',
    ],
    [
      'a collector not in the catalogue',
      '      - collector: echo',
      '      - collector: hubble',
      'steps[0].collectors[0].collector: unknown collector "hubble" (known: echo, slow, broken, stranded) (line 9)',
    ],
    [
      'a probe not in the catalogue',
      '    probe: counter',
      '    probe: ping',
      'steps[4].probe: unknown probe "ping" (known: counter) (line 25)',
    ],
    [
      'a default option that is not offered',
      '    default: deny',
      '    default: reboot',
      'steps[2].default: default option "reboot" is not one of the options (deny) (line 19)',
    ],
    [
      'a decision source that is not a diagnose step',
      '    optionsFrom: { step: diagnose }',
      '    optionsFrom: { step: gather }',
      'steps[2].optionsFrom.step: refers to step "gather", which is a gather step, not diagnose (line 17)',
    ],
    [
      'acting on a decision that comes later',
      '    fromDecision: choose',
      '    fromDecision: later',
      'steps[3].fromDecision: refers to step "later", which is not an earlier step (line 22)',
    ],
    [
      'a template naming an undeclared parameter',
      '"${params.namespace}"',
      '"${params.ns}"',
      'steps[0].collectors[0].params: "params.ns" refers to an undeclared parameter (line 11)',
    ],
    [
      'a template naming a later step',
      'done: ${steps.choose.choice}',
      'done: ${steps.tell.x}',
      'steps[5].message: "steps.tell.x" refers to step "tell", which is not an earlier step (line 30)',
    ],
    [
      'a bad comparison operator',
      'op: gte',
      'op: atleast',
      'steps[4].condition.op: expected an operator, one of eq, ne, gt, gte, lt, lte, in, contains, exists, missing (line 26)',
    ],
    [
      'a parameter default of the wrong type',
      'default: production }',
      'default: 7 }',
      'parameters.namespace.default: expected a string (line 4)',
    ],
    [
      'an act step with both action and decision',
      '    fromDecision: choose',
      '    fromDecision: choose\n    action: mark',
      'steps[3].action: an act step needs exactly one of "action" or "fromDecision" (line 23)',
    ],
    [
      'a step id with capitals',
      '  - id: check',
      '  - id: Check',
      'steps[4].id: expected an id of lowercase letters, digits and dashes, like "gather-evidence" (line 23)',
    ],
    [
      'a missing required field',
      '    question: Fix it?\n',
      '',
      'steps[2].question: required field is missing (line 14)',
    ],
  ];

  test.each(cases)('%s', (_name, find, replace, expected) => {
    expect(mistake(find, replace)).toContain(expected);
  });

  test('duplicate step ids are named with where the first one is', () => {
    expect(mistake('  - id: fix', '  - id: choose')).toContain(
      'steps[3].id: duplicate step id "choose" (first used at steps[2]) (line 20)',
    );
  });

  test('every problem is reported at once, in document order', () => {
    const all = problems(
      valid
        .replace('        timeout: 5s', '        timeout: soon')
        .replace('    probe: counter', '    probe: ping')
        .replace('    default: deny', '    default: nope'),
    );
    expect(all).toEqual([
      'steps[0].collectors[0].timeout: expected a duration like "30s" (line 10)',
      'steps[2].default: default option "nope" is not one of the options (deny) (line 19)',
      'steps[4].probe: unknown probe "ping" (known: counter) (line 25)',
    ]);
  });

  test('broken YAML is reported with its line, not a stack trace', () => {
    const [first] = problems('name: x\nsteps:\n  - id: a\n    kind: [gather\n');
    expect(first).toMatch(/^\(document\): YAML .* \(line \d+\)$/);
  });

  test('duplicate keys are refused rather than silently overwritten', () => {
    expect(problems('name: x\nname: y\nsteps: []\n')[0]).toMatch(/Map keys must be unique/);
  });

  test('a document that is not a mapping says so', () => {
    const result = validateRunbook(['not', 'a', 'runbook'], { catalogue: testCatalogue });
    expect(result.ok).toBe(false);
  });
});
