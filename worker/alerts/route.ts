// From an Alertmanager alert to the run it should start: the first route whose
// matchers all hold names the runbook; its params are rendered from the
// alert's labels and annotations; the dedupe key names the run.
import { createHash } from 'node:crypto';
import type { Catalogue, CompiledRunbook } from '../../runbooks/index.ts';
import type { AlertRunRequest } from '../../model/index.ts';
import type { AlertEnvelope, RunbookInput } from '../../workflows/index.ts';
import type { Config } from '../config.ts';
import { buildRunInput, compileRunbookByName, RunRequestError } from '../runs.ts';
import type { AlertRoute } from './config.ts';
import { matchesAll, parseMatcher } from './matchers.ts';
import type { Alert, WebhookPayload } from './payload.ts';

export function findRoute(routes: readonly AlertRoute[], labels: Record<string, string>): AlertRoute | undefined {
  return routes.find((route) => matchesAll(route.matchers.map(parseMatcher), labels));
}

export function renderParams(route: AlertRoute, alert: Alert): { params: Record<string, string>; missing: string[] } {
  const missing: string[] = [];
  const params: Record<string, string> = {};
  for (const [name, template] of Object.entries(route.params)) {
    params[name] = template.replace(/\$\{\s*(labels|annotations)\.([\w]+)\s*\}/g, (_, kind: string, key: string) => {
      const value = (kind === 'labels' ? alert.labels : alert.annotations)[key];
      if (value === undefined) missing.push(`${kind}.${key}`);
      return value ?? '';
    });
  }
  return { params, missing };
}

/** One run per alert firing episode (fingerprint + start), or per Alertmanager group. */
export function dedupeKey(payload: WebhookPayload, alert: Alert, by: 'fingerprint' | 'groupKey'): string {
  if (by === 'fingerprint') return `${alert.fingerprint}-${Math.floor(Date.parse(alert.startsAt) / 1000)}`;
  const started = payload.alerts.map((a) => Date.parse(a.startsAt)).reduce((a, b) => Math.min(a, b));
  return `group-${createHash('sha256').update(payload.groupKey).digest('hex').slice(0, 16)}-${Math.floor(started / 1000)}`;
}

export type RunbookSource = (name: string) => CompiledRunbook;

/** Compiled runbooks, re-read at most every few seconds so edits are picked up. */
export class RunbookCache {
  private readonly entries = new Map<string, { at: number; runbook: CompiledRunbook }>();
  private readonly catalogue: Catalogue;
  private readonly ttlMs: number;

  constructor(catalogue: Catalogue, ttlMs = 5000) {
    this.catalogue = catalogue;
    this.ttlMs = ttlMs;
  }

  readonly get = (name: string): CompiledRunbook => {
    const hit = this.entries.get(name);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.runbook;
    const runbook = compileRunbookByName(name, this.catalogue);
    this.entries.set(name, { at: Date.now(), runbook });
    return runbook;
  };
}

/** The run input an alert's run starts with: who asked (the alert), where it publishes, what triggered it. */
export function alertRunInput(request: AlertRunRequest, config: Config, runbooks: RunbookSource): RunbookInput {
  const { alert } = request;
  return buildRunInput(
    {
      runbook: runbooks(request.runbook),
      params: request.params,
      requestedBy: { id: 'alertmanager', name: `alert ${alert.alertname}`, via: 'alert' },
      ...(request.channel ? { notify: { channel: request.channel } } : {}),
      trigger: {
        kind: 'alert',
        alertname: alert.alertname,
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        labels: alert.labels,
        ...(alert.labels.nightshift_gameday ? { gameday: alert.labels.nightshift_gameday } : {}),
      },
    },
    config,
  );
}

/**
 * Route every alert of a payload. A routed alert's envelope names its run's
 * runbook and parameters (checked here, so a bad route is reported in the
 * answer), never the compiled runbook. `channel`: where alert-started runs
 * publish their thread (none: they run silently).
 */
export function envelopes(
  payload: WebhookPayload,
  config: Config,
  runbooks: RunbookSource,
  channel?: string,
  now = new Date(),
): AlertEnvelope[] {
  return payload.alerts.map((alert) => {
    const key = dedupeKey(payload, alert, config.alerts.dedupeBy);
    const base: AlertEnvelope = {
      key,
      status: alert.status,
      alertname: alert.labels.alertname ?? '(unnamed)',
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      startsAt: alert.startsAt,
      receivedAt: now.toISOString(),
    };
    const route = findRoute(config.alerts.routes, alert.labels);
    if (!route) return { ...base, unrouted: 'no route matches its labels' };
    const { params, missing } = renderParams(route, alert);
    if (missing.length) return { ...base, unrouted: `route for ${route.runbook} needs ${missing.join(', ')}` };
    const run = {
      workflowId: `alert-${key}`,
      runbook: route.runbook,
      params,
      ...(channel ? { channel } : {}),
    };
    try {
      alertRunInput({ ...run, alert: alertOf(base) }, config, runbooks);
      return { ...base, run };
    } catch (err) {
      if (!(err instanceof RunRequestError)) throw err;
      return { ...base, unrouted: err.message };
    }
  });
}

/** What a run is told of the alert that started it. */
export function alertOf(envelope: Pick<AlertEnvelope, 'alertname' | 'fingerprint' | 'startsAt' | 'labels'>) {
  return {
    alertname: envelope.alertname,
    fingerprint: envelope.fingerprint,
    startsAt: envelope.startsAt,
    labels: envelope.labels,
  };
}
