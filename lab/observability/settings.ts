// The lab's monitoring settings: how often Prometheus scrapes and evaluates,
// and how long Alertmanager waits before it sends. These are the demo's short
// intervals; the rules themselves (deploy/prometheus/rules) are loaded as
// they ship. Change them here, by config, never by editing a rule.
import { join } from 'node:path';
import { REPO_ROOT } from '../../worker/base.ts';

export interface MonitoringSettings {
  scrapeIntervalS: number;
  evaluationIntervalS: number;
  /** The API server's /metrics is large: scraped less often. */
  apiserverScrapeIntervalS: number;
  groupWaitS: number;
  groupIntervalS: number;
  repeatIntervalS: number;
}

export const LAB_MONITORING: MonitoringSettings = {
  scrapeIntervalS: 2,
  evaluationIntervalS: 2,
  apiserverScrapeIntervalS: 30,
  groupWaitS: 1,
  groupIntervalS: 5,
  repeatIntervalS: 30,
};

/** What ships in deploy/: the rules the lab loads as they are, and the receiver it fills in. */
export const DEPLOY_PROMETHEUS = join(REPO_ROOT, 'deploy', 'prometheus');
export const RULE_FILES = join(DEPLOY_PROMETHEUS, 'rules', '*.yaml');
export const DEPLOY_ALERTMANAGER = join(REPO_ROOT, 'deploy', 'alertmanager');
export const ALERTMANAGER_SNIPPET = join(DEPLOY_ALERTMANAGER, 'alertmanager.yaml');

export const seconds = (s: number) => `${s}s`;
