// A gateway being stopped finishes the Slack requests it has acked and is
// still carrying out: a stop-all that is half-way through its nodes completes
// and reports in the channel before stop() returns.
import { workflowBundle } from '../helpers/temporal.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterAll(async () => {
  await h?.stop();
});

test('stop() waits for an acked stop-all to finish and report', async () => {
  let finishedAt = 0;
  h = await startHarness(await workflowBundle(), {
    stopAllFaults: async () => {
      await new Promise((r) => setTimeout(r, 1500)); // the nodes take their time
      finishedAt = Date.now();
      return { stopped: 2, details: ['drop on node-a', 'drop on node-b'] };
    },
  });
  const sent = await h.standin.interactor.command({ user: 'U0ALICE', text: 'stop-all' });
  expect(JSON.parse(sent.body)).toMatchObject({ text: expect.stringMatching(/stopping all faults/) });
  await h.gateway.stop();
  const stoppedAt = Date.now();
  expect(finishedAt).toBeGreaterThan(0);
  expect(stoppedAt).toBeGreaterThanOrEqual(finishedAt);
  expect(h.standin.workspace.messages.map((m) => m.text)).toContainEqual(
    expect.stringContaining('All faults stopped (2)'),
  );
});
