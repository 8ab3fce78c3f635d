// POST /webhooks/alertmanager: authenticate, bound the body, validate it with
// zod, route each alert, and hand everything to the alert intake workflow in
// signals of at most ALERTS_PER_SIGNAL alerts. Answers in milliseconds; the
// intake does the rest durably. When Temporal does not take the alerts, the
// answer is 503, so Alertmanager sends them again.
import type { Client } from '@temporalio/client';
import type { Logger as Pino } from 'pino';
import { parseDuration, formatIssues } from '../../model/index.ts';
import { newIntakeState } from '../../workflows/index.ts';
import { alertsSignal, intakeWorkflowId, type AlertEnvelope } from '../../workflows/index.ts';
import type { Config } from '../config.ts';
import { sameSecret } from '../secret-compare.ts';
import { webhookSchema, type WebhookPayload } from './payload.ts';
import { envelopes, type RunbookSource } from './route.ts';

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, already bounded by the caller (see readBody). */
  body: Buffer;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface AlertWebhookDeps {
  config: Config;
  client: Client;
  runbooks: RunbookSource;
  log: Pino;
  /** Where alert-started runs publish (the Slack channel); absent: nowhere. */
  channel?: string;
  /** Told of every answer the webhook gives, with when the request came in (the demo's timeline). */
  observe?: (answer: WebhookResponse, receivedAt: Date) => void;
}

function header(req: WebhookRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Undefined when the request may pass, else the 401 to send. */
export function checkAuth(config: Config['alerts'], req: WebhookRequest): WebhookResponse | undefined {
  const { bearerToken, username, password } = config;
  if (!bearerToken && !username) return undefined;
  const given = header(req, 'authorization') ?? '';
  if (bearerToken && given.startsWith('Bearer ') && sameSecret(given.slice(7), bearerToken)) return undefined;
  if (username && password && given.startsWith('Basic ')) {
    const decoded = Buffer.from(given.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Both halves are always compared, so the time says nothing about which one was wrong.
    const userOk = sameSecret(colon < 0 ? decoded : decoded.slice(0, colon), username);
    const passwordOk = colon >= 0 && sameSecret(decoded.slice(colon + 1), password);
    if (userOk && passwordOk) return undefined;
  }
  return {
    status: 401,
    body: { error: given ? 'invalid credentials' : 'credentials required' },
    headers: { 'www-authenticate': bearerToken ? 'Bearer realm="nightshift"' : 'Basic realm="nightshift"' },
  };
}

export async function handleAlertWebhook(req: WebhookRequest, deps: AlertWebhookDeps): Promise<WebhookResponse> {
  const denied = checkAuth(deps.config.alerts, req);
  if (denied) return denied;
  const type = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return { status: 415, body: { error: `Content-Type must be application/json, not ${type || '(none)'}` } };
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    return { status: 400, body: { error: `body is not JSON: ${(err as Error).message}` } };
  }
  const parsed = webhookSchema.safeParse(json);
  if (!parsed.success) {
    return {
      status: 400,
      body: { error: 'not an Alertmanager webhook payload', problems: formatIssues(parsed.error.issues) },
    };
  }
  let routed: AlertEnvelope[];
  try {
    routed = await submitAlerts(parsed.data, deps);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    deps.log.error({ err: detail, alerts: parsed.data.alerts.length }, 'the alert intake did not take the alerts');
    return {
      status: 503,
      body: { error: 'the alerts were not accepted (Temporal did not answer); send them again', detail },
      headers: { 'retry-after': '10' },
    };
  }
  const unrouted = routed.filter((e) => !e.run);
  const reasons = new Map<string, number>();
  for (const e of unrouted) reasons.set(e.unrouted ?? '', (reasons.get(e.unrouted ?? '') ?? 0) + 1);
  for (const [reason, count] of reasons) deps.log.info({ reason, count }, 'alerts not routed to a runbook');
  const runs = routed.flatMap((e) =>
    e.run ? [{ alertname: e.alertname, runId: e.run.workflowId, status: e.status }] : [],
  );
  return {
    status: 200,
    body: {
      accepted: routed.length,
      routed: routed.length - unrouted.length,
      // The lists name the first ANSWER_LIST alerts; the counts above are whole.
      unrouted: unrouted
        .slice(0, ANSWER_LIST)
        .map((e) => ({ alertname: e.alertname, fingerprint: e.fingerprint, reason: e.unrouted })),
      runs: runs.slice(0, ANSWER_LIST),
      ...(runs.length + unrouted.length > 2 * ANSWER_LIST ? { listed: `the first ${ANSWER_LIST} of each list` } : {}),
    },
  };
}

/** Alerts named in the answer's lists; a storm's answer stays small. */
export const ANSWER_LIST = 100;
/** Alerts per intake signal: a signal stays far below Temporal's payload limit (2 MB) whatever the storm. */
export const ALERTS_PER_SIGNAL = 100;
/** And about this many bytes of envelopes per signal. */
const BYTES_PER_SIGNAL = 256 * 1024;
/** How long the webhook waits for Temporal per signal before answering 503. */
const SIGNAL_DEADLINE_MS = 5_000;

/** Envelopes in order, in chunks of at most ALERTS_PER_SIGNAL and about BYTES_PER_SIGNAL. */
export function signalChunks(envelopes: AlertEnvelope[]): AlertEnvelope[][] {
  const chunks: AlertEnvelope[][] = [];
  let current: AlertEnvelope[] = [];
  let bytes = 0;
  for (const envelope of envelopes) {
    const size = JSON.stringify(envelope).length;
    if (current.length > 0 && (current.length >= ALERTS_PER_SIGNAL || bytes + size > BYTES_PER_SIGNAL)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(envelope);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Route a payload's alerts and hand them to the alert intake, a signal per
 * chunk; throws when Temporal does not take one within the deadline (the
 * caller answers 503, and a resent delivery is deduplicated by the intake).
 */
export async function submitAlerts(
  payload: WebhookPayload,
  deps: Omit<AlertWebhookDeps, 'log'>,
): Promise<AlertEnvelope[]> {
  const routed = envelopes(payload, deps.config, deps.runbooks, deps.channel);
  const { alerts, temporal } = deps.config;
  for (const chunk of signalChunks(routed)) {
    await deps.client.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      deps.client.workflow.signalWithStart('alertIntakeWorkflow', {
        workflowId: intakeWorkflowId(temporal.taskQueue),
        taskQueue: temporal.taskQueue,
        args: [newIntakeState()],
        signal: alertsSignal,
        signalArgs: [
          {
            envelopes: chunk,
            maxNewRunsPerMinute: alerts.maxNewRunsPerMinute,
            rateWindowMs: parseDuration(alerts.rateWindow) ?? 60_000,
            ...(deps.channel ? { channel: deps.channel } : {}),
          },
        ],
      }),
    );
  }
  return routed;
}

/** Read a request body, refusing (413) past `limit` bytes without buffering the rest. */
export async function readBody(
  stream: AsyncIterable<Buffer>,
  limit: number,
  declared?: number,
): Promise<Buffer | 'too-large'> {
  if (declared !== undefined && declared > limit) return 'too-large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
