// The control worker's record of policy versions: every policy in the
// cluster read at start and then every interval, each new version kept under
// the data directory, so restore-policy can put back the version that held
// before a change even when no run had looked at it. Problems are logged
// when they start and when they end, not on every pass.
import type { Logger as Pino } from 'pino';
import { recordClusterPolicies, type EvidenceDeps } from '../activities/index.ts';

export interface PolicyRecorder {
  /** One pass now (a test, or a caller that must know the record is current). */
  pass(): Promise<void>;
  stop(): void;
}

export const POLICY_RECORD_INTERVAL_MS = 30_000;

export function startPolicyRecorder(
  evidence: EvidenceDeps,
  log: Pino,
  intervalMs = POLICY_RECORD_INTERVAL_MS,
): PolicyRecorder {
  const history = evidence.policyHistory;
  let failing = '';
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    if (!history) return;
    const r = await recordClusterPolicies(evidence.kube, history).catch((err: unknown) => ({
      policies: 0,
      recorded: 0,
      problems: [err instanceof Error ? err.message : String(err)],
    }));
    const problem = r.problems.join('; ');
    if (problem && problem !== failing) log.warn({ problems: r.problems }, 'policy recorder: cannot read every policy');
    if (!problem && failing) log.info('policy recorder: policies readable again');
    failing = problem;
    if (r.recorded)
      log.info({ recorded: r.recorded, policies: r.policies }, 'policy recorder: new policy versions kept');
  };
  const pass = () => (running = running.then(once));
  void pass();
  const timer = setInterval(() => void pass(), intervalMs);
  timer.unref();
  return {
    pass,
    stop: () => clearInterval(timer),
  };
}
