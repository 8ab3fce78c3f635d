// Public face of activities/: one factory that takes the clients and returns
// every activity the control worker registers. Tests wire other clients.
import { createNotifyActivities, type NotifyDeps } from './notify.ts';

export type ActivityDeps = NotifyDeps;

export function createActivities(deps: ActivityDeps = {}) {
  return {
    ...createNotifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type * from './types.ts';
