// Public face of activities/slack: the Slack activities (publishRun,
// publishReport), the Slack-backed Notifier, and what the gateway shares
// with them (the client, the decision button codec, the thread renderer).
import type { WebClient } from '@slack/web-api';
import { createPublishRun } from './publish.ts';
import { slackNotifier } from './notifier.ts';
import { ThreadStore } from './thread-store.ts';
import { createPublishReport } from './upload.ts';

export { createSlackClient, slackLogger, type SlackClientOptions } from './client.ts';
export * from './actions.ts';
export { renderRun, type Draft, type RunThread } from './render/index.ts';
/** Escape `&`, `<`, `>` in a string shown in Slack, so it can neither mention nor link. */
export { esc as escapeSlack } from './render/blocks.ts';
export { ThreadStore, EVENT_TYPE } from './thread-store.ts';
export { uploadFile, type PublishReportArgs } from './upload.ts';
export type { PublishRunArgs, PublishResult } from './publish.ts';

export interface SlackDeps {
  /** Without a client the Slack activities log and do nothing (CLI-only setups). */
  slack?: { client: WebClient; defaultChannel: string; store?: ThreadStore };
}

export function createSlackActivities(deps: SlackDeps) {
  const store = deps.slack ? (deps.slack.store ?? new ThreadStore(deps.slack.client)) : undefined;
  return {
    publishRun: createPublishRun(store),
    publishReport: createPublishReport(deps.slack?.client, store),
  };
}

/** Activity deps for a Slack client: the client itself and a Notifier on the same thread store. */
export function slackActivityDeps(client: WebClient, defaultChannel: string) {
  const store = new ThreadStore(client);
  return { slack: { client, defaultChannel, store }, notifier: slackNotifier(store, defaultChannel) };
}
