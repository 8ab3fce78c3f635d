// What the lab's Prometheus and Alertmanager say about an alert right now,
// through their HTTP APIs (/api/v1/alerts, /api/v2/alerts): for the demo's
// hop-by-hop timeline and the tests.
import { z } from 'zod';
import { ALERTMANAGER_URL, PROMETHEUS_URL } from '../topology.ts';

const ruleAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  state: z.enum(['pending', 'firing', 'inactive']),
  activeAt: z.string().optional(),
  value: z.string().optional(),
});
const rulesAlertsSchema = z.object({
  status: z.literal('success'),
  data: z.object({ alerts: z.array(ruleAlertSchema) }),
});
const amAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  startsAt: z.string(),
  updatedAt: z.string().optional(),
  fingerprint: z.string(),
  status: z.object({ state: z.string() }).loose(),
});

export type RuleAlert = z.infer<typeof ruleAlertSchema>;
export type ManagedAlert = z.infer<typeof amAlertSchema>;

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

/** The alerts Prometheus's rules hold now (pending or firing), by name. */
export async function ruleAlerts(alertname: string, base = PROMETHEUS_URL, timeoutMs = 2000): Promise<RuleAlert[]> {
  const body = rulesAlertsSchema.parse(await getJson(`${base}/api/v1/alerts`, timeoutMs));
  return body.data.alerts.filter((a) => a.labels.alertname === alertname);
}

/** The alerts Alertmanager holds now, by name. */
export async function managedAlerts(
  alertname: string,
  base = ALERTMANAGER_URL,
  timeoutMs = 2000,
): Promise<ManagedAlert[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  return z.array(amAlertSchema).parse(await getJson(`${base}/api/v2/alerts?filter=${filter}`, timeoutMs));
}

/**
 * How many notifications Alertmanager has sent to webhook receivers since it
 * started, and how many of them failed (its
 * `alertmanager_notifications_total` and `alertmanager_notifications_failed_total`
 * for `integration="webhook"`).
 */
export async function webhookNotifications(
  base = ALERTMANAGER_URL,
  timeoutMs = 2000,
): Promise<{ sent: number; failed: number }> {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${base}/metrics: HTTP ${res.status}`);
  const counts = { sent: 0, failed: 0 };
  for (const line of (await res.text()).split('\n')) {
    const m = /^alertmanager_notifications_(total|failed_total)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || !/(^|,)integration="webhook"/.test(m[2] ?? '')) continue;
    counts[m[1] === 'total' ? 'sent' : 'failed'] += Number(m[3]);
  }
  return counts;
}
