// Templates and conditions: what runbook authors can rely on.
import { evaluate, render, resolveParams, type Scope } from '../../runbooks/index.ts';
import { formatDuration, parseDuration } from '../../model/index.ts';

const scope: Scope = {
  params: { namespace: 'production', count: 3 },
  steps: {
    choose: { choice: 'shift-weight' },
    gather: { collectors: { flows: { findings: [{ kind: 'a' }, { kind: 'b' }] } } },
  },
  result: { successRate: 0.995 },
};

describe('templates', () => {
  test('a whole-string template keeps the value type; embedded ones are stringified', () => {
    expect(render('${params.count}', scope)).toBe(3);
    expect(render('ns=${params.namespace} n=${params.count}', scope)).toBe('ns=production n=3');
    expect(render({ list: ['${steps.choose.choice}'] }, scope)).toEqual({ list: ['shift-weight'] });
  });

  test('array indexes and missing values', () => {
    expect(render('${steps.gather.collectors.flows.findings[1].kind}', scope)).toBe('b');
    expect(render('x${params.nothing}y', scope)).toBe('xy');
    expect(render('${params.nothing}', scope)).toBeNull();
  });
});

describe('conditions', () => {
  test.each([
    [{ path: 'result.successRate', op: 'gte', value: 0.99 }, true],
    [{ path: 'result.successRate', op: 'lt', value: 0.99 }, false],
    [{ path: 'steps.choose.choice', op: 'ne', value: 'deny' }, true],
    [{ path: 'steps.choose.choice', op: 'in', value: ['a', 'shift-weight'] }, true],
    [{ path: 'steps.missing.choice', op: 'eq', value: 'x' }, false],
    [{ path: 'steps.missing', op: 'missing' }, true],
    [{ path: 'params.namespace', op: 'eq', value: '${params.namespace}' }, true],
    [
      {
        all: [
          { path: 'params.count', op: 'gt', value: 2 },
          { not: { path: 'params.namespace', op: 'eq', value: 'dev' } },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { path: 'params.count', op: 'gt', value: 5 },
          { path: 'params.namespace', op: 'contains', value: 'prod' },
        ],
      },
      true,
    ],
    [{ path: 'params.namespace', op: 'gt', value: 1 }, false],
  ] as const)('%j is %s', (condition, expected) => {
    expect(evaluate(condition as never, scope)).toBe(expected);
  });
});

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['2d', 172_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', '30', '5 seconds', '-1s', 's'])('"%s" is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  test('formatting', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('run parameters', () => {
  const declared = {
    namespace: { type: 'string', required: true },
    count: { type: 'integer', required: false, default: 3 },
    dryRun: { type: 'boolean', required: false, default: false },
    window: { type: 'duration', required: false, default: '10m' },
    mode: { type: 'string', required: false, enum: ['fast', 'safe'] },
  } as const;

  test('strings from the command line are coerced; defaults fill the rest', () => {
    expect(resolveParams(declared as never, { namespace: 'production', count: '5', dryRun: 'yes' })).toEqual({
      ok: true,
      params: { namespace: 'production', count: 5, dryRun: true, window: '10m' },
    });
  });

  test('every problem at once, each naming its parameter', () => {
    const result = resolveParams(declared as never, { count: 'many', window: 'soon', mode: 'yolo', colour: 'red' });
    expect(result).toEqual({
      ok: false,
      problems: [
        'param colour: unknown parameter (this runbook takes namespace, count, dryRun, window, mode)',
        'param namespace: required parameter is missing',
        'param count: expected a integer, got "many"',
        'param window: expected a duration like "30s", got "soon"',
        'param mode: expected one of fast, safe, got "yolo"',
      ],
    });
  });
});
