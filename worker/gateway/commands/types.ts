// The shape of a /nightshift subcommand: a pure plan (what to ack with, checked
// without waiting on anything) and an optional follow-up that runs after the ack.
import type { Permission } from '../access.ts';
import type { ListenerContext } from '../context.ts';
import type { SlashCommand } from '../payloads.ts';

export interface Reply {
  text: string;
  response_type?: 'ephemeral' | 'in_channel';
  blocks?: { type: string; [field: string]: unknown }[];
}

export type Respond = (reply: Reply) => Promise<unknown>;

export interface Invocation {
  args: string[];
  command: SlashCommand;
  ctx: ListenerContext;
}

export interface Plan {
  ack: Reply | undefined;
  after?: (respond: Respond) => Promise<void>;
}

export interface Subcommand {
  usage: string;
  summary: string;
  /** Checked before planning; absent means anyone may. */
  permission?: Permission;
  plan(invocation: Invocation): Plan;
}

export const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

/** A usage mistake: the ack names the problem and shows the usage. */
export class UsageProblem extends Error {}
