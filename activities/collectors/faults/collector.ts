// The `faults` collector: the nightshift faults active right now (running
// fault workflows, asked for their status), so the diagnosis can tell a game
// day from a real incident and offer to stop the fault.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { budget, collect, errorText, within } from '../result.ts';

export interface ActiveFault {
  faultId: string;
  kind: string;
  state: string;
  namespace?: string;
  selector?: string;
  node?: string;
  direction?: string;
  protocol?: string;
  ports?: string;
  deadline?: string;
}

export interface FaultsEvidence {
  active: ActiveFault[];
}

/** The Temporal client: given, or the worker's own from the activity context. */
export type ClientSource = Client | undefined;

export function activityClient(given: ClientSource): Client | undefined {
  if (given) return given;
  try {
    return Context.current().client;
  } catch {
    return undefined;
  }
}

const range = z.object({ from: z.number(), to: z.number() });
const statusSchema = z
  .object({
    faultId: z.string(),
    state: z.string(),
    deadline: z.string().optional(),
    fault: z
      .object({
        kind: z.string(),
        target: z.union([
          z
            .object({
              type: z.literal('kubernetes'),
              namespace: z.string(),
              selector: z.union([z.string(), z.record(z.string(), z.string())]),
            })
            .loose(),
          z.object({ type: z.literal('direct'), node: z.string(), interface: z.string() }).loose(),
        ]),
        match: z
          .object({
            direction: z.string(),
            protocol: z.string(),
            srcPorts: range.optional(),
            dstPorts: range.optional(),
          })
          .loose(),
      })
      .loose()
      .optional(),
  })
  .loose();

const ACTIVE = ['starting', 'injecting', 'holding'];
export const FAULT_WORKFLOW_TYPE = 'faultWorkflow';

function describe(status: z.infer<typeof statusSchema>): ActiveFault {
  const f = status.fault;
  const target = f?.target;
  const ports = f?.match.dstPorts ?? f?.match.srcPorts;
  const selector =
    target && target.type === 'kubernetes'
      ? typeof target.selector === 'string'
        ? target.selector
        : Object.entries(target.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
      : undefined;
  return {
    faultId: status.faultId,
    kind: f?.kind ?? '?',
    state: status.state,
    ...(target?.type === 'kubernetes' ? { namespace: target.namespace } : {}),
    ...(selector ? { selector } : {}),
    ...(target?.type === 'direct' ? { node: target.node } : {}),
    ...(f ? { direction: f.match.direction, protocol: f.match.protocol } : {}),
    ...(ports ? { ports: ports.from === ports.to ? String(ports.from) : `${ports.from}-${ports.to}` } : {}),
    ...(status.deadline ? { deadline: status.deadline } : {}),
  };
}

export function createFaultsCollector(given: ClientSource) {
  return async function collectFaults(_call: StepCall): Promise<CollectorResult<FaultsEvidence>> {
    const time = budget(5000);
    return collect<FaultsEvidence>('faults', async (findings) => {
      const client = activityClient(given);
      if (!client) {
        findings.add(
          'faults.unavailable',
          'info',
          'faults collector: no Temporal client in this context; active faults unknown',
        );
        return undefined;
      }
      try {
        const ids: string[] = [];
        const listing = (async () => {
          for await (const wf of client.workflow.list({
            query: `WorkflowType = '${FAULT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
          }))
            ids.push(wf.workflowId);
        })();
        await within(listing, time.left() / 2, () => undefined);
        const statuses = await Promise.all(
          ids.slice(0, 20).map((id) =>
            within(client.workflow.getHandle(id).query('status'), time.left(200), () => undefined).then(
              (s) => statusSchema.safeParse(s).data,
              () => undefined,
            ),
          ),
        );
        const active = statuses
          .filter((s): s is z.infer<typeof statusSchema> => s !== undefined && ACTIVE.includes(s.state))
          .map(describe);
        for (const f of active) {
          const where = f.namespace ? `${f.namespace}/${f.selector ?? '*'}` : `node ${f.node ?? '?'}`;
          findings.add(
            'faults.active',
            'warning',
            `nightshift fault ${f.faultId} is ${f.state}: ${f.kind} ${f.direction ?? ''} ${f.protocol ?? ''}${f.ports ? `/${f.ports}` : ''} on ${where}`,
            { ...f },
            `active:${f.faultId}`,
          );
        }
        if (active.length === 0) findings.add('faults.none', 'info', 'no nightshift fault is active');
        return { active };
      } catch (err) {
        findings.add('faults.unavailable', 'info', `faults collector: cannot list fault workflows: ${errorText(err)}`);
        return undefined;
      }
    });
  };
}
