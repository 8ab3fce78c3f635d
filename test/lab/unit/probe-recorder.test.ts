// The probe's per-second numbers: the JSON that alerts, stop conditions and reports read.
import { percentile, Recorder } from '../../../lab/probe/recorder.ts';
import { parseSeconds, probeSeriesSchema, probeSummarySchema } from '../../../lab/probe/schema.ts';

const T0 = 1_800_000_000_000; // a whole second, in ms

describe('probe recorder', () => {
  test('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBe(0);
  });

  test('a summary covers only complete seconds of the window, with failures by kind', () => {
    const r = new Recorder('production/checkout-frontend POST /checkout');
    for (let i = 0; i < 20; i++) r.record(T0 + i * 50, 10 + i, undefined);
    r.record(T0 + 1000, 2000, 'timeout');
    r.record(T0 + 1100, 30, 'http-502');
    r.record(T0 + 2500, 5, undefined); // the current second: not reported yet
    const s = probeSummarySchema.parse(r.summary(2, T0 + 2600));
    expect(s).toMatchObject({
      requests: 22,
      failures: 2,
      successes: 20,
      windowSeconds: 2,
      failureKinds: { timeout: 1, 'http-502': 1 },
    });
    expect(s.successRate).toBeCloseTo(20 / 22);
    expect(s.p99Ms).toBe(2000);
  });

  test('failure reasons: what the failed answers said, most frequent first, at most 10 per window', () => {
    const r = new Recorder('x');
    r.record(T0 + 10, 30, 'http-502', 'cart answered 503 (checkout-frontend-a)');
    r.record(T0 + 20, 30, 'http-502', 'cart answered 503 (checkout-frontend-a)');
    r.record(T0 + 30, 1500, 'http-502', 'cart: timeout (checkout-frontend-b)');
    r.record(T0 + 40, 2000, 'timeout');
    for (let i = 0; i < 20; i++) r.record(T0 + 1000 + i, 5, 'http-500', `error ${i}`);
    const first = r.summary(1, T0 + 1000);
    expect(first.failureReasons).toEqual({
      'http-502: cart answered 503 (checkout-frontend-a)': 2,
      'http-502: cart: timeout (checkout-frontend-b)': 1,
      timeout: 1,
    });
    expect(Object.keys(first.failureReasons ?? {})[0]).toBe('http-502: cart answered 503 (checkout-frontend-a)');
    const both = probeSummarySchema.parse(r.summary(2, T0 + 2000));
    expect(Object.keys(both.failureReasons ?? {})).toHaveLength(10);
    expect(both.failureKinds['http-500']).toBe(20);
  });

  test('no requests means a success rate of 0, not 1', () => {
    expect(new Recorder('x').summary(5, T0 + 10_000)).toMatchObject({ requests: 0, successRate: 0 });
  });

  test('series: one row per second since the probe started, oldest first', () => {
    const r = new Recorder('x');
    r.record(T0 + 10, 12, undefined);
    r.record(T0 + 1010, 14, 'ECONNREFUSED');
    const { rows } = probeSeriesSchema.parse({ target: 'x', rows: r.series(60, T0 + 3000) });
    expect(rows.map((row) => [row.t, row.requests, row.failures])).toEqual([
      [T0 / 1000, 1, 0],
      [T0 / 1000 + 1, 1, 1],
      [T0 / 1000 + 2, 0, 0],
    ]);
  });

  test('window and last parameters', () => {
    expect(parseSeconds('10s')).toBe(10);
    expect(parseSeconds('2m')).toBe(120);
    expect(parseSeconds('30')).toBe(30);
    expect(parseSeconds('0')).toBeUndefined();
    expect(parseSeconds('ten')).toBeUndefined();
  });
});
