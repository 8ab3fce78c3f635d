// A real incident wins over a rehearsal, end to end in the lab: the cart-drop
// game day is running (its fault holds), and a real Alertmanager alert for
// the same service arrives at the webhook of the chart's gateway pod. The alert starts its
// own traffic-vanish run; the game day yields to it, its fault is reverted
// on every node, and its score says why.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { RunStatus } from '../../model/index.ts';
import { payload } from '../fixtures/alerts.ts';
import { formatProblem } from '../../runbooks/index.ts';
import { catalogue } from '../../worker/catalogue.ts';
import { loadExperiment, startGameday } from '../../worker/gamedays.ts';
import { labAlertTokenFor } from '../../lab/index.ts';
import {
  abortSignal,
  faultStatusQuery,
  gamedayStatusQuery,
  statusQuery,
  type GamedayStatus,
} from '../../workflows/index.ts';
import { useLab } from '../lab/helpers/use-lab.ts';

const experiment = readFileSync(
  fileURLToPath(new URL('../../runbooks/experiments/cart-drop.yaml', import.meta.url)),
  'utf8',
);

describe('a real incident during a game day', () => {
  const lab = useLab();
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: lab.config.temporal.address }) });
  });
  afterAll(async () => {
    await client?.connection.close();
  });

  test('the alert starts its run, the game day yields, and its fault is reverted on every node', async () => {
    const loaded = loadExperiment(experiment, lab.config, catalogue(), {
      fault: { duration: '5m' },
      steadyState: {
        settle: '30s',
        conditions: [
          { path: 'result.successRate', op: 'gte', value: 0.99 },
          { path: 'result.p95Ms', op: 'lte', value: 2000 },
        ],
      },
    });
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const handle = await startGameday(
      client,
      lab.config,
      { ...loaded.input, trigger: { via: 'test', by: 'jest' }, ignoreBlackouts: true },
      `gameday-lab-incident-${Date.now()}`,
    );
    // The rehearsal is under way: its fault holds (the game day's status carries the fault's only once it
    // has ended, so ask the fault workflow itself).
    for (let tries = 0; ; tries++) {
      const status = await handle.query(gamedayStatusQuery).catch(() => undefined);
      const fault = status
        ? await client.workflow
            .getHandle(status.faultId)
            .query(faultStatusQuery)
            .catch(() => undefined)
        : undefined;
      if (fault?.state === 'holding') break;
      if (tries > 90 || (status && ['refused', 'failed', 'aborted', 'passed', 'yielded'].includes(status.state)))
        throw new Error(
          `the game day did not get its fault to hold (fault ${fault?.state ?? 'not started'}): ${JSON.stringify(status?.timeline)}`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }

    // A real page for the same service, as Alertmanager sends it (no nightshift_gameday label).
    // To the chart's gateway pod, through the lab's ingress, with the token the lab's Alertmanager sends.
    const response = await fetch(`http://127.0.0.1:${lab.config.http.port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${labAlertTokenFor(lab.config.dataDir)}` },
      body: JSON.stringify(
        payload(
          {},
          {
            labels: {
              alertname: 'CheckoutErrorBudgetBurn',
              namespace: 'production',
              service: 'checkout-frontend',
              severity: 'page',
            },
            startsAt: new Date(Date.now() - 20_000).toISOString(),
          },
        ),
      ),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { runs?: { runId: string }[] };
    const runId = answer.runs?.[0]?.runId;
    expect(runId).toMatch(/^alert-/);

    const status = (await handle.result()) as GamedayStatus;
    expect(status.state).toBe('yielded');
    expect(status.score?.outcome).toBe('yielded');
    expect(status.score?.reasons[0]).toMatch(
      /a real incident \(CheckoutErrorBudgetBurn\) arrived for the same service/,
    );
    expect(status.timeline.map((e) => e.event)).toContain('yielding to a real incident');
    expect(status.fault?.end?.reason).toBe('aborted');
    expect(status.fault?.reverts.length).toBeGreaterThan(0);
    expect(status.fault?.reverts.map((r) => r.found)).not.toContain(false);
    expect(status.fault?.revertErrors).toEqual([]);
    // The incident's own run is not the game day's to stop: still going, or ended on its own (it may have
    // gathered before the cut showed and found nothing), never aborted.
    const run = client.workflow.getHandle(runId ?? '');
    if ((await run.describe()).status.name === 'RUNNING') {
      expect((await run.query(statusQuery)).state).not.toBe('aborted');
      await run.signal(abortSignal, { reason: 'test over' });
    } else {
      const ended = (await run.result()) as RunStatus;
      expect(ended.state).not.toBe('aborted');
      expect(ended.requestedBy.via).toBe('alert');
    }
  });
});
