// Recorded histories of completed runs replay against the current workflow
// code. A change that breaks a running incident's replay fails here first.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../helpers/temporal.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string): unknown {
  return JSON.parse(readFileSync(`${dir}${file}`, 'utf8'));
}

beforeAll(() => quietRuntime());

describe('replay of recorded histories', () => {
  test('there are fixtures to replay', () => {
    expect(fixtures).toEqual([
      // With the closing report (patched 'closing-report'), a failed run among them.
      'closing-report-decision-timeout.json',
      'closing-report-failed.json',
      'closing-report-guided-aborted.json',
      'closing-report-guided-approved.json',
      'closing-report-three-steps.json',
      // Recorded before the closing report existed: they replay without it (with guided-* and three-steps below).
      'decision-timeout.json',
      // The fault workflow ended by a stop condition, with the catalogue-probe patch, and before it
      // (legacy-…, recorded with the code of a032b2d: its probe named an activity; it replays without the patch).
      'fault-stop-condition.json',
      // Each decision with four eyes per option (patched 'four-eyes-by-option'), an alert-started run's two approvals among them.
      'four-eyes-decision-timeout.json',
      'four-eyes-guided-aborted.json',
      'four-eyes-guided-alert-two-people.json',
      'four-eyes-guided-approved.json',
      'guided-aborted.json',
      'guided-approved.json',
      // The alert intake through a burst, as it ran before envelopes carried runbook names (not compiled runbooks).
      'intake-alert-intake.json',
      // The same with bounded state and runs started by name (patched 'alert-intake-bounded', 'alert-runs-by-name').
      'intake-bounded-alert-intake.json',
      'legacy-fault-stop-condition.json',
      'three-steps.json',
    ]);
  });

  test.each(fixtures)('%s replays with the current workflow code', async (file) => {
    const history = historyFromJSON(load(file));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  });

  test('a deliberately altered history fails replay', async () => {
    const json = load('guided-approved.json') as {
      events: { activityTaskScheduledEventAttributes?: { activityType?: { name: string } } }[];
    };
    const scheduled = json.events.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    if (!scheduled?.activityType) throw new Error('fixture has no scheduled activity');
    expect(scheduled.activityType.name).toBe('testMark');
    scheduled.activityType.name = 'somethingElse';
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyFromJSON(json), 'altered'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
