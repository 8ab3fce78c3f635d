// What every listener is given: Temporal, config, access, and the few
// functions the gateway takes as dependencies.
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import type { CompiledRunbook } from '../../runbooks/index.ts';
import type { Actor, Metrics } from '../../model/index.ts';
import type { Config } from '../config.ts';
import type { Access } from './access.ts';
import type { InFlight } from './in-flight.ts';

export interface StopAllRequest {
  by: Actor;
  reason: string;
  /** Stable per Slack request: a repeated delivery carries the same id. */
  requestId: string;
}

export interface StopAllResult {
  /** How many faults were stopped. */
  stopped: number;
  details?: string[];
}

/** The kill switch; given by the fault work (signals every fault workflow, then node agents' stopAll). */
export type StopAllFaults = (request: StopAllRequest) => Promise<StopAllResult>;

export interface ListenerContext {
  config: Config;
  client: Client;
  access: Access;
  log: Pino;
  metrics: Metrics;
  /** Channel where runs post their thread. */
  channel: string;
  /** Finds and compiles a runbook by name (throws RunRequestError). */
  runbooks: (name: string) => CompiledRunbook;
  stopAllFaults?: StopAllFaults;
  /** Listeners' work after their ack, which the gateway's stop waits for. */
  inFlight?: InFlight;
}
