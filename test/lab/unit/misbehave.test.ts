// The workloads' misbehave switch.
import { decide, misbehaveFromEnv, misbehavePatchSchema } from '../../../lab/workloads/lib/misbehave.ts';

describe('misbehave switch', () => {
  test('defaults to behaving; env sets rate, status and delay', () => {
    expect(misbehaveFromEnv({})).toEqual({ errorRate: 0, errorStatus: 500, delayMs: 0 });
    expect(
      misbehaveFromEnv({ NIGHTSHIFT_ERROR_RATE: '0.25', NIGHTSHIFT_ERROR_STATUS: '503', NIGHTSHIFT_DELAY_MS: '200' }),
    ).toEqual({
      errorRate: 0.25,
      errorStatus: 503,
      delayMs: 200,
    });
  });

  test('bad env values are named', () => {
    expect(() => misbehaveFromEnv({ NIGHTSHIFT_ERROR_RATE: '5' })).toThrow(/errorRate/);
    expect(() => misbehaveFromEnv({ NIGHTSHIFT_ERROR_STATUS: '200' })).toThrow(/errorStatus/);
  });

  test('a request fails when the draw is under the rate, after the delay', () => {
    const m = { errorRate: 0.1, errorStatus: 500, delayMs: 50 };
    expect(decide(m, () => 0.05)).toEqual({ delayMs: 50, fail: true });
    expect(decide(m, () => 0.5)).toEqual({ delayMs: 50, fail: false });
    expect(decide({ ...m, errorRate: 0 }, () => 0)).toEqual({ delayMs: 50, fail: false });
  });

  test('the admin endpoint accepts partial changes and nothing unknown', () => {
    expect(misbehavePatchSchema.safeParse({ delayMs: 200 }).success).toBe(true);
    expect(misbehavePatchSchema.safeParse({ errorRate: 'lots' }).success).toBe(false);
    expect(misbehavePatchSchema.safeParse({ chaos: true }).success).toBe(false);
  });
});
