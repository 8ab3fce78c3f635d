// Public face of activities/: one factory that takes the clients and returns
// every activity the control worker registers. Tests wire other clients.
import { createNotifyActivities, type NotifyDeps } from './notify.ts';
import { createSlackActivities, type SlackDeps } from './slack/index.ts';

export type ActivityDeps = NotifyDeps & SlackDeps;

export function createActivities(deps: ActivityDeps = {}) {
  return {
    ...createNotifyActivities(deps),
    ...createSlackActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type * from './types.ts';
