// What Prometheus and Alertmanager would do in a real cluster, for the demo:
// CheckoutErrorBudgetBurn fires when the probe's success rate stays under
// 95 % for 15 s, and is delivered as an Alertmanager v4 webhook.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeSummary } from '../../lab/index.ts';

export const ALERT = { alertname: 'CheckoutErrorBudgetBurn', threshold: 0.95, forSeconds: 15 };

/** Resolves once the rule has held for its whole window; returns when it started failing. */
export async function waitForAlert(
  signal?: AbortSignal,
  timeoutMs = 120_000,
): Promise<{ firingSince: Date; successRate: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const window = await probeSummary(ALERT.forSeconds).catch(() => undefined);
    if (
      window &&
      window.requests > 0 &&
      window.windowSeconds >= ALERT.forSeconds &&
      window.successRate < ALERT.threshold
    ) {
      return { firingSince: new Date(Date.now() - ALERT.forSeconds * 1000), successRate: window.successRate };
    }
    await sleep(1000);
  }
  throw new Error(`${ALERT.alertname} did not fire within ${Math.round(timeoutMs / 1000)} s`);
}

export function alertPayload(firingSince: Date, labels: Record<string, string>): unknown {
  const all = { alertname: ALERT.alertname, severity: 'page', ...labels };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(Object.entries(all).sort()))
    .digest('hex')
    .slice(0, 16);
  return {
    version: '4',
    groupKey: `{}:{alertname="${ALERT.alertname}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'nightshift',
    groupLabels: { alertname: ALERT.alertname },
    commonLabels: all,
    commonAnnotations: { summary: 'checkout success rate under 95% for 15s' },
    externalURL: 'http://alertmanager.lab:9093',
    alerts: [
      {
        status: 'firing',
        labels: all,
        annotations: { summary: 'checkout success rate under 95% for 15s', runbook_url: 'nightshift://traffic-vanish' },
        startsAt: firingSince.toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.lab:9090/graph',
        fingerprint,
      },
    ],
  };
}
