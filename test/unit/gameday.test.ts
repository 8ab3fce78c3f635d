// Game-day logic that needs no server: blackout windows, scoring, and the
// validation of experiment files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblem } from '../../runbooks/index.ts';
import { loadConfig } from '../../worker/config.ts';
import { loadExperiment } from '../../worker/gamedays.ts';
import { activeBlackout, describeScore, score } from '../../workflows/index.ts';
import { testCatalogue } from '../fixtures/engine/catalogue.ts';

const fixture = readFileSync(fileURLToPath(new URL('../fixtures/gameday/refused.yaml', import.meta.url)), 'utf8');

describe('blackout windows', () => {
  const weekly = [
    {
      weekdays: ['sat', 'sun'] as ('sat' | 'sun')[],
      start: '00:00',
      end: '23:59',
      timezone: 'Europe/Oslo',
      reason: 'weekend',
    },
  ];

  test('a weekly window is read in its own time zone', () => {
    // Friday 23:30 UTC is already Saturday 00:30 in Oslo.
    expect(activeBlackout(weekly, new Date('2026-11-27T23:30:00Z'))).toMatch(
      /blackout every sat, sun 00:00-23:59 Europe\/Oslo \(weekend\)/,
    );
    expect(activeBlackout(weekly, new Date('2026-11-27T12:00:00Z'))).toBeUndefined();
  });

  test('a window that wraps past midnight', () => {
    const nights = [
      { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] as never, start: '22:00', end: '06:00', timezone: 'UTC' },
    ];
    expect(activeBlackout(nights, new Date('2026-11-26T23:00:00Z'))).toBeDefined();
    expect(activeBlackout(nights, new Date('2026-11-26T05:59:00Z'))).toBeDefined();
    expect(activeBlackout(nights, new Date('2026-11-26T06:00:00Z'))).toBeUndefined();
  });

  test('an absolute window, e.g. a change freeze', () => {
    const freeze = [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'holiday change freeze' }];
    expect(activeBlackout(freeze, new Date('2026-12-24T10:00:00Z'))).toMatch(/holiday change freeze/);
    expect(activeBlackout(freeze, new Date('2027-01-04T00:00:00Z'))).toBeUndefined();
  });
});

describe('scoring', () => {
  const base = { expected: 'pod-to-pod-drop', withinMs: 60_000, injectedAt: 1_000 };

  test('named in time and recovered: passed, with the times', () => {
    const s = score({
      ...base,
      named: { id: 'pod-to-pod-drop', confidence: 0.9 },
      diagnosedAt: 21_000,
      recoveredAt: 91_000,
      errorBudget: { windowSeconds: 90, requests: 1800, failures: 400, successRate: 0.778 },
    });
    expect(s).toMatchObject({ outcome: 'passed', namedCause: true, detectMs: 20_000, recoverMs: 90_000, reasons: [] });
    expect(describeScore('cart drop', s)).toMatch(/time to detect: 20\.0 s · time to recover: 90\.0 s/);
  });

  test('the wrong cause, or the right one too late, fails and says why', () => {
    expect(
      score({ ...base, named: { id: 'dns-loss', confidence: 0.7 }, diagnosedAt: 5_000, recoveredAt: 9_000 }).reasons,
    ).toEqual(['the runbook named dns-loss, not pod-to-pod-drop']);
    const late = score({
      ...base,
      named: { id: 'pod-to-pod-drop', confidence: 0.7 },
      diagnosedAt: 90_000,
      recoveredAt: 99_000,
    });
    expect(late.outcome).toBe('failed');
    expect(late.reasons[0]).toMatch(/after 89 s, later than 60 s/);
  });

  test('an aborted game day keeps its reason', () => {
    expect(score({ ...base, ended: { outcome: 'aborted', reason: 'stop condition tripped' } })).toMatchObject({
      outcome: 'aborted',
      reasons: ['stop condition tripped', 'the runbook named no cause within 60 s'],
    });
  });
});

describe('experiment files', () => {
  const config = loadConfig({});

  test('a valid experiment compiles to the game-day input', () => {
    const result = loadExperiment(fixture, config, testCatalogue);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.input).toMatchObject({
      experiment: { name: 'never-steady', title: 'Never steady' },
      steadyState: { probe: { name: 'counter', activity: 'testProbe' }, settleMs: 60_000 },
      expect: { hypothesis: 'pod-to-pod-drop', withinMs: 60_000, autoApprove: false },
      fault: { spec: { kind: 'drop', duration: '30s' }, limits: { maxDurationMs: 1_800_000 } },
    });
  });

  test('shape problems first; then every problem of fault, probes and expectations at once, with paths and lines', () => {
    const bad = fixture
      .replace('magnitude: { percent: 100 }', 'magnitude: { percent: 140 }')
      .replace('duration: 30s', 'duration: 2h')
      .replace('probe: counter', 'probe: pingdom')
      .replace('hypothesis: pod-to-pod-drop', 'hypothesis: gremlins')
      .replace('within: 60s', 'within: soon');
    const result = loadExperiment(bad, config, testCatalogue);
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    expect(lines).toEqual(['expect.within: expected a duration like "30s" (line 19)']);
    const second = loadExperiment(bad.replace('within: soon', 'within: 60s'), config, testCatalogue);
    const all = second.ok ? [] : second.problems.map(formatProblem);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fault\.magnitude\.percent: .*100/),
        'steadyState.probe: unknown probe "pingdom" (known: counter) (line 12)',
        expect.stringMatching(/^expect\.hypothesis: unknown hypothesis "gremlins"/),
      ]),
    );
  });

  test('an override lays fields over the experiment: objects merge, lists replace, and it is checked like the file', () => {
    const result = loadExperiment(fixture, config, testCatalogue, {
      fault: { duration: '20s' },
      steadyState: { settle: '5s', conditions: [{ path: 'result.value', op: 'eq', value: 'bad' }] },
      expect: { autoApprove: true },
    });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.input).toMatchObject({
      fault: { spec: { kind: 'drop', duration: '20s', magnitude: { percent: 100 } } },
      steadyState: { settleMs: 5000, conditions: [{ path: 'result.value', op: 'eq', value: 'bad' }] },
      expect: { autoApprove: true, withinMs: 60_000 },
    });
  });

  test('an override that names a field the experiment does not have is refused with its path, not ignored', () => {
    const result = loadExperiment(fixture, config, testCatalogue, { steadyState: { settel: '5s' } });
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([expect.stringMatching(/settel/)]);
  });
});
