// The crash drill's activities: a traffic-vanish run in miniature whose side
// effects are files. Like the real actions (activities/actions), the restart
// and the route patch stamp their target with the step's idempotency key and
// do nothing when the stamp is already theirs; every effect that did happen
// is logged, so the matrix counts two restarts or two patches of one run.
// A step can be held (a file `hold-<step>` in the directory): its activity
// logs that it entered, then heartbeats until the file goes, after its
// effect, which is where a crash hurts most.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { ActionResult, CollectorResult, Diagnosis, StepCall } from '../../model/index.ts';

export interface Effect {
  run: string;
  kind: 'restart' | 'route-patch' | 'route-unpatch';
  key: string;
  attempt: number;
}

export function readLines(dir: string, name: string): string[] {
  const file = join(dir, name);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export function readEffects(dir: string): Effect[] {
  return readLines(dir, 'effects.jsonl').map((line) => JSON.parse(line) as Effect);
}

/** The run an idempotency key belongs to (`<workflowId>/<stepId>`). */
const runOf = (key: string) => key.slice(0, key.lastIndexOf('/'));

export function createCrashActivities(dir: string) {
  mkdirSync(dir, { recursive: true });
  const attempt = () => Context.current().info.attempt;

  async function hold(call: StepCall): Promise<void> {
    appendFileSync(join(dir, 'entered.log'), `${call.context.key} ${attempt()}\n`);
    const file = join(dir, `hold-${call.context.stepId}`);
    while (existsSync(file)) {
      Context.current().heartbeat();
      await sleep(200);
    }
  }

  /** Stamps `target` with the key; true when this call changed it (false: the stamp was already ours). */
  function stamp(target: string, key: string, kind: Effect['kind']): boolean {
    const file = join(dir, `${target.replace(/[^\w.-]/g, '_')}.stamp`);
    if (existsSync(file) && readFileSync(file, 'utf8') === key) return false;
    writeFileSync(file, key);
    const effect: Effect = { run: runOf(key), kind, key, attempt: attempt() };
    appendFileSync(join(dir, 'effects.jsonl'), `${JSON.stringify(effect)}\n`);
    return true;
  }

  return {
    async crashEvidence(call: StepCall): Promise<CollectorResult> {
      await hold(call);
      return {
        collector: 'crash-evidence',
        ok: true,
        durationMs: 1,
        findings: [
          {
            kind: 'flows.dropped',
            severity: 'critical',
            summary: 'checkout-frontend → cart-service-v1: 412 dropped flows',
            source: 'flows',
          },
        ],
      };
    },
    async crashDiagnose(): Promise<Diagnosis> {
      return {
        hypotheses: [
          {
            id: 'pod-to-pod-drop',
            title: 'Packets from checkout to cart are dropped',
            confidence: 0.82,
            explanation: 'Dropped flows between the two workloads.',
            evidence: ['412 dropped flows'],
            remediations: [
              {
                id: 'restart-cart',
                title: 'Restart the cart',
                action: 'crash-restart',
                params: {},
                destructive: false,
              },
            ],
          },
        ],
      };
    },
    async crashRestart(call: StepCall): Promise<ActionResult> {
      const changed = stamp(`deployment-${runOf(call.context.key)}`, call.context.key, 'restart');
      await hold(call);
      return { changed, summary: changed ? 'cart restarted' : 'cart already restarted by this step' };
    },
    async crashRoutePatch(call: StepCall): Promise<ActionResult> {
      const changed = stamp(`route-${runOf(call.context.key)}`, call.context.key, 'route-patch');
      await hold(call);
      return { changed, summary: 'route shifted to stable', undo: { route: 'store' } };
    },
    async crashRouteUnpatch(call: StepCall): Promise<ActionResult> {
      const changed = stamp(`route-${runOf(call.context.key)}`, `${call.context.key}#undo`, 'route-unpatch');
      return { changed, summary: 'route put back' };
    },
    async crashProbe(call: StepCall): Promise<{ calls: number }> {
      await hold(call);
      const file = join(dir, `${call.context.key.replace(/[^\w.-]/g, '_')}.probe`);
      const calls = (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0) + 1;
      writeFileSync(file, String(calls));
      return { calls };
    },
  };
}
