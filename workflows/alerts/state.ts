// The intake's starting state; pure, so the gateway can build it too.
import type { IntakeState } from './messages.ts';

export function newIntakeState(): IntakeState {
  return {
    runs: {},
    recentStarts: [],
    excess: [],
    gamedays: [],
    counters: { received: 0, started: 0, repeats: 0, resolved: 0, unrouted: 0, capped: 0 },
    maxNewRunsPerMinute: 20,
    rateWindowMs: 60_000,
  };
}
