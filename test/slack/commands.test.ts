// The /nightshift listener called with built arguments, as Bolt would call
// it: what each subcommand acks with, that the work comes after the ack,
// and that a failed ack means nothing is done.
import { jest } from '@jest/globals';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { ListenerContext } from '../../worker/gateway/context.ts';
import { handleCommand } from '../../worker/gateway/commands/index.ts';
import { handleDecide } from '../../worker/gateway/actions/decide.ts';
import { Access, Metrics, runIdFor } from '../../worker/gateway/index.ts';
import { drillRunbooks, log, ROLES, testConfig } from './harness.ts';

function fakeContext(overrides: Partial<ListenerContext> = {}) {
  const calls: string[] = [];
  const start = jest.fn(async (_type: string, options: { workflowId: string }) => {
    calls.push(`start ${options.workflowId}`);
    return { workflowId: options.workflowId };
  });
  const executeUpdate = jest.fn(async () => ({ step: 'choose', option: 'x', by: { id: 'U0BOB' } }));
  const client = { workflow: { start, getHandle: () => ({ executeUpdate }) } } as unknown as Client;
  const ctx: ListenerContext = {
    config: testConfig('q', '127.0.0.1:7233'),
    client,
    access: new Access({ users: ROLES, groups: {} }),
    log,
    metrics: new Metrics(),
    channel: 'C0INCIDENTS',
    runbooks: drillRunbooks,
    ...overrides,
  };
  return { ctx, start, executeUpdate, calls };
}

function command(text: string, user = 'U0ALICE') {
  return {
    command: '/nightshift',
    text,
    user_id: user,
    user_name: user.toLowerCase(),
    channel_id: 'C0INCIDENTS',
    trigger_id: `trigger-${text}-${user}`,
    response_url: 'http://127.0.0.1/respond/x',
  };
}

async function invoke(ctx: ListenerContext, text: string, user = 'U0ALICE', ackFails = false, order: string[] = []) {
  const acks: unknown[] = [];
  const responses: { text: string; response_type?: string }[] = [];
  await handleCommand(ctx)({
    command: command(text, user),
    ack: async (reply) => {
      if (ackFails) throw new Error('the response was already sent');
      acks.push(reply);
      order.push('ack');
    },
    respond: async (reply) => responses.push(reply),
  });
  const ack = acks[0] as { text?: string; response_type?: string } | undefined;
  return { ack, acks, responses };
}

describe('usage problems are answered in the ack, naming the problem', () => {
  test.each([
    ['frobnicate', /Unknown subcommand "frobnicate"/],
    ['run', /which runbook\?/],
    ['run Bad_Name', /"Bad_Name" is not a runbook name/],
    ['run slack-drill bogus', /bad argument "bogus": expected key=value/],
    ['run slack-drill nope=1', /Cannot start \*slack-drill\*:[\s\S]*param nope: unknown parameter/],
    ['run no-such-runbook', /Cannot start \*no-such-runbook\*/],
    ['status a b', /status takes at most one run id/],
    ['stop-all now', /stop-all takes no arguments/],
  ])('/nightshift %s', async (text, expected) => {
    const { ctx, start } = fakeContext();
    const { ack, responses } = await invoke(ctx, text);
    expect(ack).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(expected) });
    expect(start).not.toHaveBeenCalled();
    expect(responses).toEqual([]);
  });

  test('a subcommand that fails unexpectedly is still acked, saying nothing was done', async () => {
    const { ctx, start } = fakeContext({
      runbooks: () => {
        throw new Error('EISDIR: illegal operation on a directory, read');
      },
    });
    const { ack, responses } = await invoke(ctx, 'run slack-drill');
    expect(ack).toMatchObject({
      response_type: 'ephemeral',
      text: 'Something went wrong with `run`; nothing was done.',
    });
    expect(start).not.toHaveBeenCalled();
    expect(responses).toEqual([]);
  });

  test('help lists every subcommand', async () => {
    const { ctx } = fakeContext();
    expect((await invoke(ctx, 'help')).ack?.text).toMatch(/run <runbook>[\s\S]*status[\s\S]*gameday[\s\S]*stop-all/);
    expect((await invoke(ctx, '')).ack?.text).toMatch(/run <runbook>/);
  });

  test.each([
    ['gameday', /what should the game day do\?/],
    ['gameday dance', /unknown gameday action "dance"/],
    ['gameday run weekly', /Cannot use \*weekly\*:[\s\S]*no runbooks\/experiments\/weekly.yaml/],
    ['gameday stop', /which game day\?/],
    ['gameday schedule create cart-drop hourly', /say `every <duration>` or `cron "<expression>"`/],
    ['gameday schedule explode x', /unknown schedule action "explode"/],
  ])('/nightshift %s', async (text, expected) => {
    const { ctx, start } = fakeContext();
    const { ack } = await invoke(ctx, text);
    expect(ack).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(expected) });
    expect(start).not.toHaveBeenCalled();
  });

  test('a chaos-operator starts a game day from an experiment: acked in the channel, then started', async () => {
    const { ctx, start } = fakeContext();
    const { ack } = await invoke(ctx, 'gameday run cart-drop');
    expect(ack).toMatchObject({
      response_type: 'in_channel',
      text: expect.stringMatching(/starting game day \*Frontend loses the cart\*/),
    });
    expect(start).toHaveBeenCalledWith(
      'gamedayWorkflow',
      expect.objectContaining({ workflowId: expect.stringMatching(/^gameday-cart-drop-slack-/) }),
    );
    const { ack: refused } = await invoke(ctx, 'gameday run cart-drop', 'U0BOB');
    expect(refused?.text).toMatch(/needs the role chaos-operator/);
  });
});

describe('roles decide who may do what', () => {
  test('someone without a role cannot start a run', async () => {
    const { ctx, start } = fakeContext();
    const { ack } = await invoke(ctx, 'run slack-drill', 'U0MALLORY');
    expect(ack?.text).toMatch(/You may not use `run`: it needs the role responder/);
    expect(start).not.toHaveBeenCalled();
  });

  test('a viewer cannot stop all faults; a chaos operator can, and everyone sees it', async () => {
    const stopAllFaults = jest.fn(async () => ({ stopped: 3, details: ['drop on node-a'] }));
    const { ctx } = fakeContext({ stopAllFaults });
    expect((await invoke(ctx, 'stop-all', 'U0CAROL')).ack?.text).toMatch(/needs the role chaos-operator/);
    expect(stopAllFaults).not.toHaveBeenCalled();
    const { ack, responses } = await invoke(ctx, 'stop-all', 'U0ALICE');
    expect(ack).toMatchObject({
      response_type: 'in_channel',
      text: expect.stringContaining('<@U0ALICE> is stopping all faults'),
    });
    expect(stopAllFaults).toHaveBeenCalledWith(
      expect.objectContaining({
        by: expect.objectContaining({ id: 'U0ALICE', via: 'slack' }),
        requestId: 'trigger-stop-all-U0ALICE',
      }),
    );
    expect(responses).toEqual([
      expect.objectContaining({ response_type: 'in_channel', text: expect.stringContaining('All faults stopped (3)') }),
    ]);
  });

  test('without the fault work wired in, stop-all says so and does nothing', async () => {
    const { ctx } = fakeContext();
    expect((await invoke(ctx, 'stop-all')).ack?.text).toMatch(/not available in this gateway yet/);
  });
});

describe('run', () => {
  test('acks first, then starts one run whose id comes from the trigger id', async () => {
    const { ctx, start, calls } = fakeContext();
    const { ack } = await invoke(ctx, 'run slack-drill namespace=production', 'U0ALICE', false, calls);
    const id = runIdFor('slack-drill', 'trigger-run slack-drill namespace=production-U0ALICE');
    expect(ack?.text).toContain(id);
    expect(start).toHaveBeenCalledTimes(1);
    expect(start.mock.calls[0]?.[1]).toMatchObject({
      workflowId: id,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
    });
    expect(calls).toEqual(['ack', `start ${id}`]);
  });

  test('when the ack fails nothing is started', async () => {
    const { ctx, start } = fakeContext();
    await invoke(ctx, 'run slack-drill', 'U0ALICE', true);
    expect(start).not.toHaveBeenCalled();
  });

  test('a repeated delivery finds the run already started and says nothing more', async () => {
    const { ctx, start } = fakeContext();
    start.mockRejectedValueOnce(new WorkflowExecutionAlreadyStartedError('already started', 'id', 'runbookWorkflow'));
    const { responses } = await invoke(ctx, 'run slack-drill');
    expect(responses).toEqual([]);
    expect(ctx.metrics.get('nightshift_slack_duplicates_total', { kind: 'command' })).toBe(1);
  });
});

test('a decision click whose ack fails sends no Update', async () => {
  const { ctx, executeUpdate } = fakeContext();
  const value = JSON.stringify({ r: 'run-1', s: 'choose', o: 'restart-cart' });
  await handleDecide(ctx)({
    body: {
      type: 'block_actions',
      user: { id: 'U0BOB' },
      trigger_id: 't',
      actions: [{ type: 'button', action_id: 'nightshift:decide:restart-cart', value }],
    },
    ack: async () => {
      throw new Error('too late');
    },
    respond: async () => undefined,
  });
  expect(executeUpdate).not.toHaveBeenCalled();
});
