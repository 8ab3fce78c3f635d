// Prometheus Alertmanager's webhook payload (version 4), validated at the edge.
import { z } from 'zod';

const labels = z.record(z.string(), z.string());

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.string().default('0001-01-01T00:00:00Z'),
  generatorURL: z.string().default(''),
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/i, { error: 'expected a hex fingerprint' }),
});

export const webhookSchema = z.object({
  version: z.literal('4', { error: 'expected webhook payload version "4"' }),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema).min(1, { error: 'expected at least one alert' }),
});

export type Alert = z.infer<typeof alertSchema>;
export type WebhookPayload = z.infer<typeof webhookSchema>;
