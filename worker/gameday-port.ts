// The Temporal side of the game-day activities (activities/gameday): the
// alert path, the alert intake's game-day signals, and the status query,
// decide Update and abort signal of the run a game day started.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { GamedayPort, SyntheticPayload } from '../activities/index.ts';
import type { GamedayRegistration } from '../model/index.ts';
import {
  abortSignal,
  decideUpdate,
  gamedayEndedSignal,
  gamedayStartedSignal,
  intakeWorkflowId,
  newIntakeState,
  statusQuery,
  type AlertEnvelope,
  type IntakeState,
} from '../workflows/index.ts';

export interface GamedayPortDeps {
  client: Client;
  taskQueue: string;
  /** The alert path: route the payload and hand it to the intake (worker/alerts submitAlerts). */
  submitAlerts: (payload: SyntheticPayload) => Promise<AlertEnvelope[]>;
}

export function gamedayPort({ client, taskQueue, submitAlerts }: GamedayPortDeps): GamedayPort {
  const intake = { workflowId: intakeWorkflowId(taskQueue), taskQueue, args: [newIntakeState()] as [IntakeState] };

  return {
    async submitAlert(payload) {
      const [envelope] = await submitAlerts(payload);
      return envelope?.run ? { runId: envelope.run.workflowId } : { unrouted: envelope?.unrouted ?? 'not routed' };
    },

    async registerGameday(registration: GamedayRegistration) {
      await client.workflow.signalWithStart('alertIntakeWorkflow', {
        ...intake,
        signal: gamedayStartedSignal,
        signalArgs: [registration],
      });
    },

    async unregisterGameday(workflowId) {
      await client.workflow.signalWithStart('alertIntakeWorkflow', {
        ...intake,
        signal: gamedayEndedSignal,
        signalArgs: [{ workflowId }],
      });
    },

    async runProgress(runId) {
      try {
        const status = await client.workflow.getHandle(runId).query(statusQuery);
        return {
          state: status.state,
          ...(status.diagnosis ? { diagnosis: status.diagnosis } : {}),
          ...(status.pendingDecision ? { pendingDecision: status.pendingDecision } : {}),
        };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },

    async decide(runId, { updateId, ...request }) {
      try {
        await client.workflow.getHandle(runId).executeUpdate(decideUpdate, { args: [request], updateId });
        return { accepted: true };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          return { accepted: false, reason: err.cause?.message ?? err.message };
        throw err;
      }
    },

    async abortRun(runId, reason, by) {
      const handle = client.workflow.getHandle(runId);
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.signal(abortSignal, { reason, by });
    },
  };
}
