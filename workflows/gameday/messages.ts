// Messages of the game-day workflow.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A real alert arrived for the service a game day is rehearsing on: the game day yields. */
export const realIncidentSignal = defineSignal<[{ runId: string; alertname: string }]>('realIncident');
export const stopGamedaySignal = defineSignal<[{ reason: string; by?: string }]>('stopGameday');
export const gamedayStatusQuery = defineQuery<unknown>('gamedayStatus');
