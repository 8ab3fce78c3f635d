// The pure parts of reading Prometheus: `$window` in a runbook's query, and
// when a series left its level before (the `metrics` collector's "changed at").
import { changeOf } from '../../activities/collectors/metrics/collector.ts';
import { withWindow } from '../../activities/collectors/metrics/promql.ts';

describe('a query with $window', () => {
  test('gets the window in whole seconds, everywhere it appears', () => {
    expect(withWindow('sum(rate(a[$window])) / sum(rate(b[$window]))', 10)).toBe(
      'sum(rate(a[10s])) / sum(rate(b[10s]))',
    );
    expect(withWindow('rate(a[$window])', 0.2)).toBe('rate(a[1s])');
  });

  test('without it, is left as written', () => {
    expect(withWindow('up{job="etcd"}', 30)).toBe('up{job="etcd"}');
  });
});

describe('when a series changed', () => {
  const at = (values: number[]) => values.map((v, i) => [1000 + i * 15, v] as [number, number]);

  test('is the first point of the second half off the level before by more than a quarter', () => {
    const c = changeOf(at([1, 1, 0.99, 1, 1, 1, 1, 0.98, 0.4, 0.1]));
    expect(c.typicalBefore).toBe(1);
    expect(c.changedAt).toBe(1000 + 8 * 15);
  });

  test('from zero, is the first point that is not zero', () => {
    expect(changeOf(at([0, 0, 0, 0, 0, 0, 3, 5])).changedAt).toBe(1000 + 6 * 15);
  });

  test('is absent when the series held its level, or had no data before', () => {
    expect(changeOf(at([5, 5, 5, 6, 5, 5])).changedAt).toBeUndefined();
    expect(changeOf([])).toEqual({ typicalBefore: null });
  });
});
