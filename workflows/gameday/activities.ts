// The activities a game day calls, proxied once, with their shapes.
import * as wf from '@temporalio/workflow';
import type { Diagnosis, StepCall } from '../../model/index.ts';
import type { ActivityRef } from '../../runbooks/compiled.ts';
import { presets } from '../presets.ts';
import type { PendingDecision, RunState } from '../../model/index.ts';

export interface RunProgress {
  state: RunState;
  diagnosis?: Diagnosis;
  pendingDecision?: PendingDecision;
}

export interface GamedayActivities {
  raiseGamedayAlert(arg: { gamedayId: string; alertname: string; labels: Record<string, string> }): Promise<{ runId?: string; unrouted?: string }>;
  registerGameday(arg: { workflowId: string; namespace: string; services: string[] }): Promise<void>;
  unregisterGameday(arg: { workflowId: string }): Promise<void>;
  runbookProgress(arg: { runId: string }): Promise<RunProgress | undefined>;
  approveRemediation(arg: { runId: string; step: string; option: string; gamedayId: string }): Promise<{ accepted: boolean; reason?: string }>;
  abortRun(arg: { runId: string; reason: string }): Promise<void>;
  notify(arg: StepCall): Promise<unknown>;
}

export const gameday = wf.proxyActivities<GamedayActivities>({ ...presets.short, startToCloseTimeout: '20s' });

/** A probe named by the experiment, with a deadline that suits a 1 s watch loop. */
export function callProbe(ref: ActivityRef, call: StepCall): Promise<unknown> {
  const acts = wf.proxyActivities<Record<string, (arg: StepCall) => Promise<unknown>>>({
    startToCloseTimeout: '5s',
    retry: { maximumAttempts: 2, initialInterval: '200ms' },
  });
  return (acts[ref.activity] as (arg: StepCall) => Promise<unknown>)(call);
}
