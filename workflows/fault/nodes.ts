// One node-agent activity on a list of nodes, for the CLI's `fault list
// --node`, `fault revert --node` and `fault stop-all`: every node answers or
// says why not; one down node does not hide the others.
import { agent, errorMessage } from './activities.ts';
import type { FaultNodesRequest, FaultNodesResult } from './messages.ts';

export async function faultNodesWorkflow(request: FaultNodesRequest): Promise<FaultNodesResult> {
  const entries = await Promise.all(
    request.nodes.map(async (node): Promise<[string, FaultNodesResult[string]]> => {
      const a = agent(node);
      const call: Record<FaultNodesRequest['action'], () => Promise<unknown>> = {
        list: () => a.list(),
        stopAll: () => a.stopAll(),
        capabilities: () => a.capabilities(),
        revert: () => a.revert({ faultId: request.faultId ?? '' }),
      };
      try {
        return [node, { ok: true, result: await call[request.action]() }];
      } catch (err) {
        return [node, { ok: false, error: errorMessage(err) }];
      }
    }),
  );
  return Object.fromEntries(entries);
}
