// The 3 AM scenario, end to end on the embedded default: the lab comes up
// (Temporal dev server with SQLite) with nightshift installed from its own
// chart (its worker, gateway and node agents as pods) and the Slack stand-in,
// checkout is healthy, then something breaks (cli/demo/breakages.ts: every
// packet into the cart pods dropped, or the seed's payment policy applied).
// Prometheus sees checkout fail, its rule fires, Alertmanager posts to the
// gateway's webhook (each hop printed with its time), traffic-vanish gathers
// evidence and names the cause, the on-call engineer approves the fix in the
// Slack thread (a click in the stand-in, sent to the gateway pod), traffic
// comes back, and the report is written and attached to the thread.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { decideActionId } from '../../activities/index.ts';
import { labUp, LAB_MONITORING, probeSummary } from '../../lab/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import type { RunReport, RunStatus } from '../../model/index.ts';
import type { Config, StandinClient } from '../../worker/index.ts';
import { connectClient, queuePolled, standinClient } from '../../worker/index.ts';
import { BREAKAGES, type Breakage, type ScenarioName } from './breakages.ts';
import { AlertmanagerDeliveries, ALERTNAME, followChain, type HopName, type Hops } from './chain.ts';

export interface DemoOptions {
  config: Config;
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
  /** The report's files as the Slack thread has them (the stand-in's URLs). */
  reportFiles: string[];
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

export async function runDemo({ config, say, scenario: name = 'cart-drop' }: DemoOptions): Promise<Running> {
  const up = await labUp({ config, progress: (line) => say(`lab: ${line}`) });
  say(up.alreadyUp ? 'the lab was already up' : `the lab is up in ${up.seconds.toFixed(1)} s`);
  // The lab's own Slack stand-in (the chart's Slack), and the gateway pod through the lab's ingress.
  const standin = standinClient(`http://127.0.0.1:${config.slack.standin.port}`);
  const gatewayUrl = `http://127.0.0.1:${config.http.port}`;
  const client = await connectClient(config);
  const stop = () => client.connection.close();
  try {
    const deliveries = await new AlertmanagerDeliveries(client).start();
    const breakage = BREAKAGES[name](config, client);
    const result = {
      scenario: name,
      ...(await scenario(config, client, gatewayUrl, standin, deliveries, breakage, say)),
    };
    return { result, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function scenario(
  config: Config,
  client: Client,
  gatewayUrl: string,
  standin: StandinClient,
  deliveries: AlertmanagerDeliveries,
  breakage: Breakage,
  say: (line: string) => void,
): Promise<Omit<DemoResult, 'scenario'>> {
  say(
    `nightshift's gateway pod at ${gatewayUrl} (the lab's ingress); Slack stand-in ${standin.url}; Temporal UI http://127.0.0.1:${config.temporal.uiPort}`,
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
    webhook: () => `Alertmanager posts to ${gatewayUrl}/webhooks/alertmanager (bearer token); the gateway routes it`,
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
  if (pending) {
    // The fix for this cause, as the on-call engineer would pick it; else the first offered.
    const option = pending.options.find((o) => o.action === breakage.fix) ?? pending.options[0];
    if (!option) throw new Error('the decision offers no option');
    say(`03:01  ${at()} Slack asks: ${pending.question}`);
    for (const o of pending.options) say(`         [${o.label}]`);
    const message = await until('the decision message in Slack', 30_000, async () =>
      (await standin.messages()).find((m) => m.metadata?.event_payload.key === `${runId}#decision:${pending.step}`),
    );
    const click = async (user: string) => {
      const sent = await standin.click({
        user,
        channel: message.channel,
        ts: message.ts,
        actionId: decideActionId(option.id),
      });
      if (sent.status !== 200) throw new Error(`the gateway answered ${sent.status} to ${user}'s click: ${sent.body}`);
    };
    // An alert started this run: a fix that needs four eyes takes two people, a responder first, then the approver.
    if (pending.twoPeople && option.fourEyes?.length) {
      await click(FIRST_APPROVER.id);
      say(
        `03:02  ${at()} ${FIRST_APPROVER.name} clicks “${option.label}” first (it changes ${option.fourEyes.join(', ')})`,
      );
    }
    await click(ON_CALL.id);
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
  // The worker pod wrote them in its own file system; here they are where Slack keeps them, in the thread.
  const files = (await standin.messages())
    .flatMap((m) => m.files ?? [])
    .filter((f) => f.name.startsWith(runId))
    .map((f) => `${standin.url}/files/${f.id}`);
  if (report.markdown)
    say(`         report: ${report.markdown} and ${report.html} in the worker pod; ${files.join(' and ')}`);
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
    reportFiles: files,
    slackPage: standin.url,
    temporalUi: `http://127.0.0.1:${config.temporal.uiPort}`,
  };
}
