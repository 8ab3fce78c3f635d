// The `alerts` config section: how Alertmanager notifications become runs.
import { z } from 'zod';
import { durationSchema } from '../../model/index.ts';
import { flagSchema } from '../config-values.ts';
import { parseMatcher } from './matchers.ts';

const matcherSchema = z.string().superRefine((text, ctx) => {
  try {
    parseMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const alertRouteSchema = z.object({
  /** Alertmanager-style matchers; every one must hold. */
  matchers: z.array(matcherSchema).min(1),
  runbook: z.string().min(1),
  /** Run parameters; values may use ${labels.name} and ${annotations.name}. */
  params: z.record(z.string(), z.string()).default({}),
});

export const DEFAULT_ALERT_ROUTES = [
  {
    matchers: ['alertname="CheckoutErrorBudgetBurn"'],
    runbook: 'traffic-vanish',
    params: { namespace: '${labels.namespace}' },
  },
];

export const alertsSchema = z
  .object({
    /** One run per alert (fingerprint + firing episode) or per Alertmanager group. */
    dedupeBy: z.enum(['fingerprint', 'groupKey']).default('fingerprint'),
    maxNewRunsPerMinute: z.coerce.number().int().positive().default(20),
    /** The window the cap counts over (one minute; shorter only for tests). */
    rateWindow: durationSchema.default('1m'),
    maxBodyBytes: z.coerce.number().int().positive().default(1_048_576),
    /** Protect the endpoint with a bearer token, or basic auth (a username needs its password). */
    bearerToken: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Serve the webhook without credentials outside dev and demo: only when this says so. */
    allowUnauthenticated: flagSchema.default(false),
    routes: z.array(alertRouteSchema).default(DEFAULT_ALERT_ROUTES),
  })
  .superRefine((alerts, ctx) => {
    if (alerts.username && !alerts.password)
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'a username needs a password (NIGHTSHIFT_ALERTS_PASSWORD)',
      });
    if (alerts.password && !alerts.username)
      ctx.addIssue({
        code: 'custom',
        path: ['username'],
        message: 'a password needs a username (NIGHTSHIFT_ALERTS_USERNAME)',
      });
  });

export type AlertsConfig = z.infer<typeof alertsSchema>;
export type AlertRoute = z.infer<typeof alertRouteSchema>;

export const ALERT_ENV: Record<string, string[]> = {
  NIGHTSHIFT_ALERTS_TOKEN: ['alerts', 'bearerToken'],
  NIGHTSHIFT_ALERTS_USERNAME: ['alerts', 'username'],
  NIGHTSHIFT_ALERTS_PASSWORD: ['alerts', 'password'],
  NIGHTSHIFT_ALERTS_ALLOW_UNAUTHENTICATED: ['alerts', 'allowUnauthenticated'],
  NIGHTSHIFT_ALERTS_DEDUPE_BY: ['alerts', 'dedupeBy'],
  NIGHTSHIFT_ALERTS_MAX_RUNS_PER_MINUTE: ['alerts', 'maxNewRunsPerMinute'],
};

/** Why the webhook may not be served as configured, or undefined: outside dev and demo it needs credentials or an explicit opt-out. */
export function webhookAuthProblem(alerts: AlertsConfig, where: 'dev' | 'service'): string | undefined {
  if (alerts.bearerToken || alerts.username || alerts.allowUnauthenticated || where === 'dev') return undefined;
  return (
    'the Alertmanager webhook needs credentials: set NIGHTSHIFT_ALERTS_TOKEN (or _FILE), or ' +
    'NIGHTSHIFT_ALERTS_USERNAME and NIGHTSHIFT_ALERTS_PASSWORD (or _FILE); to serve it open anyway, ' +
    'set NIGHTSHIFT_ALERTS_ALLOW_UNAUTHENTICATED=true'
  );
}
