// The activities a game day calls, proxied once, and its probes by name.
import type { StepCall } from '../../model/index.ts';
import type { ActivityRef } from '../../runbooks/index.ts';
import { catalogueActivity, controlActivities } from '../activities.ts';
import { presets } from '../presets.ts';

export const gameday = controlActivities({ ...presets.short, startToCloseTimeout: '20s' });

/** A probe named by the experiment, with a deadline that suits a 1 s watch loop. */
export function callProbe(ref: ActivityRef, call: StepCall): Promise<unknown> {
  return catalogueActivity(ref, { startToCloseTimeout: '5s', retry: { maximumAttempts: 2, initialInterval: '200ms' } })(
    call,
  );
}
