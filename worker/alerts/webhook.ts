// POST /webhooks/alertmanager: authenticate, bound the body, validate it with
// zod, route each alert, and hand everything to the alert intake workflow in
// one signal. Answers in milliseconds; the intake does the rest durably.
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
  const routed = await submitAlerts(parsed.data, deps);
  const unrouted = routed.filter((e) => !e.run);
  for (const e of unrouted)
    deps.log.info({ alertname: e.alertname, reason: e.unrouted }, 'alert not routed to a runbook');
  return {
    status: 200,
    body: {
      accepted: routed.length,
      routed: routed.length - unrouted.length,
      unrouted: unrouted.map((e) => ({ alertname: e.alertname, fingerprint: e.fingerprint, reason: e.unrouted })),
      runs: routed.flatMap((e) =>
        e.run ? [{ alertname: e.alertname, runId: e.run.workflowId, status: e.status }] : [],
      ),
    },
  };
}

/** Route a payload's alerts and hand them to the alert intake in one signal. */
export async function submitAlerts(
  payload: WebhookPayload,
  deps: Omit<AlertWebhookDeps, 'log'>,
): Promise<AlertEnvelope[]> {
  const routed = envelopes(payload, deps.config, deps.runbooks, deps.channel);
  const { alerts, temporal } = deps.config;
  await deps.client.workflow.signalWithStart('alertIntakeWorkflow', {
    workflowId: intakeWorkflowId(temporal.taskQueue),
    taskQueue: temporal.taskQueue,
    args: [newIntakeState()],
    signal: alertsSignal,
    signalArgs: [
      {
        envelopes: routed,
        maxNewRunsPerMinute: alerts.maxNewRunsPerMinute,
        rateWindowMs: parseDuration(alerts.rateWindow) ?? 60_000,
        ...(deps.channel ? { channel: deps.channel } : {}),
      },
    ],
  });
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
