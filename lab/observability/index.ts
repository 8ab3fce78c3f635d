// The lab's real alerting chain: Prometheus (scrapes, evaluates the rules
// that ship in deploy/prometheus) and Alertmanager (groups, posts to
// nightshift's gateway with a bearer token). Both built from Go modules.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabPaths } from '../paths.ts';

export * from './settings.ts';
export { prometheusComponent, prometheusConfig, type PrometheusTargets } from './prometheus.ts';
export { alertmanagerComponent, alertmanagerConfig, NIGHTSHIFT_RECEIVER, type Delivery } from './alertmanager.ts';
export * from './api.ts';

export const alertTokenFile = (paths: LabPaths) => join(paths.root, 'alertmanager', 'token');

/**
 * The bearer token the lab's Alertmanager sends: the configured one
 * (NIGHTSHIFT_ALERTS_TOKEN) or, when none is, a new random one for this lab.
 * Written 0600; the gateway that receives must be given the same.
 */
export function writeAlertToken(paths: LabPaths, configured?: string): string {
  const file = alertTokenFile(paths);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, configured ?? randomBytes(24).toString('base64url'), { mode: 0o600 });
  return file;
}

/** The token the running lab's Alertmanager sends, or undefined when the lab has none. */
export function labAlertToken(paths: LabPaths): string | undefined {
  const file = alertTokenFile(paths);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
