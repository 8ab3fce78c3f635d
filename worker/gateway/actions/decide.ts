// A decision button click: ack at once, then send the decision to the run as
// a Temporal Update with the clicker's roles. The workflow's validator is the
// authority (authorised? still open? second person?); its answer goes back to
// the clicker as an ephemeral message. The Update id comes from the click's
// trigger id, so a repeated delivery of one click is one decision.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DECIDE_ACTION_PREFIX, decodeDecideValue } from '../../../activities/index.ts';
import { decideUpdate } from '../../../workflows/index.ts';
import type { Respond } from '../commands/types.ts';
import { ephemeral } from '../commands/types.ts';
import type { ListenerContext } from '../context.ts';
import { blockActionsSchema, buttonActionSchema } from '../payloads.ts';

export interface ActionArgs {
  body: unknown;
  ack: () => Promise<void>;
  respond: Respond;
}

export function updateIdFor(triggerId: string): string {
  return `slack-${createHash('sha256').update(triggerId).digest('hex').slice(0, 24)}`;
}

/** What the click asks for, or why it cannot be read. */
function readClick(body: unknown) {
  const payload = blockActionsSchema.safeParse(body);
  if (!payload.success) return { problem: 'the click could not be read' } as const;
  const button = buttonActionSchema.safeParse(payload.data.actions[0]);
  if (!button.success) return { problem: 'that control is not a decision button' } as const;
  const value = decodeDecideValue(button.data.value);
  if (!value.ok) return { problem: value.problem } as const;
  if (button.data.action_id !== `${DECIDE_ACTION_PREFIX}${value.value.o}`)
    return { problem: 'the button does not match its value' } as const;
  return { payload: payload.data, decision: value.value } as const;
}

export function handleDecide(ctx: ListenerContext) {
  return async ({ body, ack, respond }: ActionArgs): Promise<void> => {
    const started = performance.now();
    try {
      await ack();
    } catch (err) {
      ctx.log.warn({ err }, 'ack of a decision click failed; the click was not carried out');
      return;
    }
    ctx.metrics.observe(
      'nightshift_slack_ack_seconds',
      'Listener time until ack',
      (performance.now() - started) / 1000,
      { kind: 'action' },
    );
    const click = readClick(body);
    if (!click.payload) {
      ctx.metrics.inc('nightshift_slack_decisions_total', 'Decision clicks by outcome', { outcome: 'malformed' });
      return void (await respond(ephemeral(`❌ Not accepted: ${click.problem}. Nothing changed.`)));
    }
    const { payload, decision } = click;
    const user = payload.user;
    const by = {
      id: user.id,
      name: user.username ?? user.name ?? user.id,
      via: 'slack',
      roles: ctx.access.roles(user.id),
    };
    const outcome = (name: string) =>
      ctx.metrics.inc('nightshift_slack_decisions_total', 'Decision clicks by outcome', { outcome: name });
    try {
      const record = await ctx.client.workflow.getHandle(decision.r).executeUpdate(decideUpdate, {
        args: [{ step: decision.s, option: decision.o, by }],
        updateId: updateIdFor(payload.trigger_id),
      });
      if (record.awaitingSecond) {
        outcome('first-of-two');
        return void (await respond(
          ephemeral(
            `✋ Recorded: <@${record.by.id}> chose *${record.option}* at \`${record.step}\`. An alert started this run, so an approver other than you must choose it too before it runs.`,
          ),
        ));
      }
      outcome('accepted');
      await respond(
        ephemeral(`✅ Accepted: *${record.option}* at \`${record.step}\` by <@${record.by.id}>. The run continues.`),
      );
    } catch (err) {
      const reason = refusal(err);
      if (!reason) {
        outcome('error');
        ctx.log.error({ err, run: decision.r }, 'could not send a decision to its run');
        return void (await respond(
          ephemeral('⚠️ Could not reach the run just now; nothing was recorded. Please click again.'),
        ));
      }
      outcome('refused');
      ctx.log.info({ run: decision.r, step: decision.s, user: user.id, reason }, 'decision refused');
      await respond(ephemeral(`❌ Not accepted: ${reason}. Nothing changed.`));
    }
  };
}

/** A person-readable reason the run did not take the decision, or undefined for unexpected errors. */
function refusal(err: unknown): string | undefined {
  if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
  if (err instanceof WorkflowNotFoundError) return 'that run no longer exists';
  const message = err instanceof Error ? err.message : '';
  if (/already completed|workflow execution.*(completed|closed)/i.test(message)) return 'the run has finished';
  return undefined;
}

/** Any other interactive control: not ours (an old message, a tampered payload). */
export function handleUnknownAction(ctx: ListenerContext) {
  return async ({ body, ack, respond }: ActionArgs): Promise<void> => {
    await ack();
    const payload = blockActionsSchema.safeParse(body);
    const id = payload.success ? payload.data.actions[0]?.action_id : undefined;
    ctx.metrics.inc('nightshift_slack_decisions_total', 'Decision clicks by outcome', { outcome: 'unknown-action' });
    ctx.log.info({ actionId: id }, 'unknown action');
    await respond(ephemeral(`❌ nightshift does not know the action \`${id ?? '?'}\`. Nothing changed.`));
  };
}
