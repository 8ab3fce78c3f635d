// The 3 AM scenario, end to end on the embedded default: the lab comes up
// (Temporal dev server with SQLite, control worker, node agents), the Slack
// stand-in and the gateway start, checkout is healthy, then something breaks
// (cli/demo/breakages.ts: every packet into the cart pods dropped, or the
// seed's payment policy applied). Prometheus sees checkout fail, its rule fires,
// Alertmanager posts to the gateway's webhook (each hop printed with its
// time), traffic-vanish gathers evidence and names the cause, the on-call engineer
// approves the fix in the Slack thread, traffic comes back, and the report is
// written and attached to the thread.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import { decideActionId } from '../../activities/index.ts';
import { labAlertTokenFor, labUp, LAB_MONITORING, probeSummary } from '../../lab/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import type { RunReport, RunStatus } from '../../model/index.ts';
import type { Config, Gateway, Standin } from '../../worker/index.ts';
import {
  resolveSlack,
  startGateway,
  startLocalStandin,
  gatewayRoutes,
  gatewayStopAll,
  connectClient,
  queuePolled,
} from '../../worker/index.ts';
import { BREAKAGES, type Breakage, type ScenarioName } from './breakages.ts';
import { ALERTNAME, Deliveries, followChain, type HopName, type Hops } from './chain.ts';

export interface DemoOptions {
  config: Config;
  log: Pino;
  say: (line: string) => void;
  /** What breaks at 3 AM (default cart-drop). */
  scenario?: ScenarioName;
}

export interface DemoResult {
  scenario: ScenarioName;
  /** The top hypothesis a correct diagnosis names. */
  expected: string;
  runId: string;
  topHypothesis?: { id: string; confidence: number };
  decision?: { option: string; by: string };
  verified: boolean;
  state: RunStatus['state'];
  seconds: {
    toAlert: number;
    toDiagnosis: number;
    toRecovery: number;
    /** Each hop of the alert chain, seconds after the fault. */
    hops: Partial<Record<HopName, number>>;
  };
  report: RunReport;
  slackPage: string;
  temporalUi: string;
}

export interface Running {
  result: DemoResult;
  stop(): Promise<void>;
}

const ON_CALL = { id: 'U0BOB', name: 'bob' };
/** The responder who makes the first of two approvals when an alert-started run's fix needs four eyes. */
const FIRST_APPROVER = { id: 'U0ALICE', name: 'alice' };

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(250);
  }
}

const clock = (t0: number) => () => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;

export async function runDemo({
  config: given,
  log,
  say,
  scenario: name = 'cart-drop',
}: DemoOptions): Promise<Running> {
  const up = await labUp({ config: given, progress: (line) => say(`lab: ${line}`) });
  say(up.alreadyUp ? 'the lab was already up' : `the lab is up in ${up.seconds.toFixed(1)} s`);
  // The gateway takes the token the lab's Alertmanager sends (the configured one, or the lab's own).
  const bearerToken = given.alerts.bearerToken ?? labAlertTokenFor(given.dataDir);
  const config: Config = { ...given, alerts: { ...given.alerts, ...(bearerToken ? { bearerToken } : {}) } };
  const deliveries = new Deliveries();
  const slack = resolveSlack(config);
  const standin = await startLocalStandin(config, slack, log);
  const client = await connectClient(config);
  let gateway: Gateway | undefined;
  const stop = async () => {
    await gateway?.stop();
    await standin?.stop();
    await client.connection.close();
  };
  try {
    gateway = await startGateway({
      config,
      slack,
      client,
      log,
      routes: gatewayRoutes(config, log, client, slack, 'dev', deliveries.observe),
      stopAllFaults: gatewayStopAll(config, client),
    });
    const breakage = BREAKAGES[name](config, client);
    const result = { scenario: name, ...(await scenario(config, client, gateway, standin, deliveries, breakage, say)) };
    return { result, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function scenario(
  config: Config,
  client: Client,
  gateway: Gateway,
  standin: Standin | undefined,
  deliveries: Deliveries,
  breakage: Breakage,
  say: (line: string) => void,
): Promise<Omit<DemoResult, 'scenario'>> {
  say(
    `gateway on ${gateway.url}; Slack stand-in ${standin ? standin.url : '(real Slack)'}; Temporal UI http://127.0.0.1:${config.temporal.uiPort}`,
  );
  // nightshift itself is up too: its control worker polls (and has kept the policies' versions since it started).
  await until("nightshift's control worker to poll its task queue", 120_000, async () =>
    (await queuePolled(client, config)) ? true : undefined,
  );
  const healthy = await until('checkout to be healthy', 60_000, async () => {
    const s = await probeSummary(5);
    return s.requests > 20 && s.successRate >= 0.99 ? s : undefined;
  });
  say(`02:59  all is well: checkout ${(healthy.successRate * 100).toFixed(1)}% success, p95 ${healthy.p95Ms} ms`);

  const t0 = Date.now();
  const at = clock(t0);
  say(`03:00  ${at()} ${await breakage.start(t0)}`);

  const m = LAB_MONITORING;
  say(
    `         Prometheus scrapes every ${m.scrapeIntervalS} s and evaluates every ${m.evaluationIntervalS} s; ` +
      `Alertmanager waits ${m.groupWaitS} s (group_wait) before it posts`,
  );
  const since = (at: Date | undefined) => (at ? (at.getTime() - t0) / 1000 : undefined);
  const hopLine: Record<HopName, (h: Hops) => string> = {
    pending: () => `${ALERTNAME} pending: checkout success under 95 % (Prometheus)`,
    firing: (h) =>
      `${ALERTNAME} firing after holding 15 s${h.value !== undefined ? ` (${(h.value * 100).toFixed(0)}% success)` : ''}; Alertmanager groups it`,
    webhook: () => `Alertmanager posts to ${gateway.url}/webhooks/alertmanager (bearer token); the gateway routes it`,
    runStarted: (h) => `run ${h.runId} started (runbook traffic-vanish, namespace=production)`,
  };
  const chain = await followChain({
    since: new Date(t0),
    deliveries,
    client,
    onHop: (hop, h) => say(`03:00  +${(since(h[hop]) ?? 0).toFixed(1).padStart(5)}s ${hopLine[hop](h)}`),
  });
  const runId = chain.runId;
  const toAlert = since(chain.webhook) ?? (Date.now() - t0) / 1000;

  const handle = client.workflow.getHandle(runId);
  const waiting = await until('the diagnosis and a decision', 120_000, async () => {
    const s = await handle.query(statusQuery);
    return s.pendingDecision || !['running', 'waiting'].includes(s.state) ? s : undefined;
  });
  const toDiagnosis = (Date.now() - t0) / 1000;
  const gathered = waiting.steps.find((s) => s.kind === 'gather')?.result as
    { findings?: { severity: string; summary: string }[] } | undefined;
  for (const f of (gathered?.findings ?? []).filter((x) => x.severity === 'critical').slice(0, 4))
    say(`         evidence: ${f.summary}`);
  const top = waiting.diagnosis?.hypotheses[0];
  const share = chain.webhook
    ? ` [webhook → diagnosis ${(toDiagnosis - (since(chain.webhook) ?? 0)).toFixed(1)} s]`
    : '';
  if (top)
    say(
      `03:01  ${at()} diagnosis in the thread: ${top.id} (${Math.round(top.confidence * 100)}%) — ${top.explanation}${share}`,
    );
  const pending = waiting.pendingDecision;
  let decision: DemoResult['decision'];
  if (pending && standin) {
    // The fix for this cause, as the on-call engineer would pick it; else the first offered.
    const option = pending.options.find((o) => o.action === breakage.fix) ?? pending.options[0];
    if (!option) throw new Error('the decision offers no option');
    say(`03:01  ${at()} Slack asks: ${pending.question}`);
    for (const o of pending.options) say(`         [${o.label}]`);
    const message = await until('the decision message in Slack', 30_000, async () =>
      standin.workspace.messages.find((m) => m.metadata?.event_payload.key === `${runId}#decision:${pending.step}`),
    );
    // An alert started this run: a fix that needs four eyes takes two people, a responder first, then the approver.
    if (pending.twoPeople && option.fourEyes?.length) {
      await standin.interactor.click({
        user: FIRST_APPROVER.id,
        channel: message.channel,
        ts: message.ts,
        actionId: decideActionId(option.id),
      });
      say(
        `03:02  ${at()} ${FIRST_APPROVER.name} clicks “${option.label}” first (it changes ${option.fourEyes.join(', ')})`,
      );
    }
    await standin.interactor.click({
      user: ON_CALL.id,
      channel: message.channel,
      ts: message.ts,
      actionId: decideActionId(option.id),
    });
    decision = { option: option.id, by: ON_CALL.name };
    say(`03:02  ${at()} ${ON_CALL.name} (on call) clicks “${option.label}” in the thread`);
  }
  const final = await until('the run to finish and write its report', 180_000, async () => {
    const s = await handle.query(statusQuery);
    return ['running', 'waiting'].includes(s.state) || !s.report ? undefined : s;
  });
  const toRecovery = (Date.now() - t0) / 1000;
  const verify = final.steps.find((s) => s.kind === 'verify');
  const verified = (verify?.result as { ok?: boolean } | undefined)?.ok === true;
  if (!verified) await breakage.undo();
  const after = await probeSummary(5);
  say(
    `03:03  ${at()} run ${final.state}; checkout ${verified ? 'verified back' : 'NOT verified'}: ${(after.successRate * 100).toFixed(1)}% success now`,
  );
  const report = final.report ?? {};
  if (report.error) say(`         the run could not write its report: ${report.error}`);
  for (const line of report.attached ?? []) say(`         attached to the Slack thread: ${line}`);
  if (report.markdown) say(`         report: ${report.markdown} and ${report.html}`);
  return {
    expected: breakage.expected,
    runId,
    ...(top ? { topHypothesis: { id: top.id, confidence: top.confidence } } : {}),
    ...(decision ? { decision } : {}),
    verified,
    state: final.state,
    seconds: {
      toAlert,
      toDiagnosis,
      toRecovery,
      hops: Object.fromEntries(
        (['pending', 'firing', 'webhook', 'runStarted'] as const).flatMap((h) => {
          const s = since(chain[h]);
          return s === undefined ? [] : [[h, s]];
        }),
      ),
    },
    report,
    slackPage: standin?.url ?? '(real Slack)',
    temporalUi: `http://127.0.0.1:${config.temporal.uiPort}`,
  };
}
