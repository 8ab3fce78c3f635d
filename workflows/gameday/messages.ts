// Messages of the game-day workflow.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FaultStatus } from '../fault/messages.ts';
import type { GamedayScore, TimelineEvent } from './score.ts';

export type GamedayState =
  'checking' | 'refused' | 'injecting' | 'watching' | 'recovering' | 'passed' | 'failed' | 'aborted' | 'yielded';

export interface GamedayStatus {
  experiment: string;
  state: GamedayState;
  faultId: string;
  runId?: string;
  timeline: TimelineEvent[];
  score?: GamedayScore;
  fault?: FaultStatus;
  startedAt: string;
  endedAt?: string;
}

/** A real alert arrived for the service a game day is rehearsing on: the game day yields. */
export const realIncidentSignal = defineSignal<[{ runId: string; alertname: string }]>('realIncident');
export const stopGamedaySignal = defineSignal<[{ reason: string; by?: string }]>('stopGameday');
export const gamedayStatusQuery = defineQuery<GamedayStatus>('gamedayStatus');
