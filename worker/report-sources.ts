// The Temporal side of a report: the nightshift faults whose lifetime
// overlapped a run, as windows the timeline shades.
import type { Client } from '@temporalio/client';
import type { FaultWindow } from '../activities/index.ts';
import { faultStatusQuery } from '../workflows/index.ts';

export function faultWindows(client: Client) {
  return async function windows(from: string, to: string): Promise<FaultWindow[]> {
    const found: FaultWindow[] = [];
    const query = `WorkflowType="faultWorkflow" AND StartTime <= "${to}"`;
    for await (const wf of client.workflow.list({ query })) {
      if (wf.closeTime && wf.closeTime.toISOString() < from) continue;
      const closed = wf.closeTime ? { to: wf.closeTime.toISOString() } : {};
      try {
        const status = await client.workflow.getHandle(wf.workflowId).query(faultStatusQuery);
        const target = status.fault?.target;
        const where = !target
          ? 'unknown target'
          : target.type === 'kubernetes'
            ? `${target.namespace}/${
                typeof target.selector === 'string'
                  ? target.selector
                  : Object.entries(target.selector)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(',')
              }`
            : `${target.node}/${target.interface}`;
        found.push({
          id: wf.workflowId,
          label: `${status.fault?.kind ?? 'fault'} on ${where}`,
          from: status.injected.length ? status.startedAt : wf.startTime.toISOString(),
          ...(status.end?.at ? { to: status.end.at } : closed),
        });
      } catch {
        found.push({ id: wf.workflowId, label: 'fault', from: wf.startTime.toISOString(), ...closed });
      }
    }
    return found.sort((a, b) => a.from.localeCompare(b.from));
  };
}
