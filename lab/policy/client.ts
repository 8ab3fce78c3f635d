// The simulator's side of the CNI step: before a pod's containers start, it
// tells the policy agent about the pod and waits until the pod is enforced,
// as Cilium's CNI plugin waits for its agent. While the agent is not up yet
// (`lab up` starts both at once) it retries; after `waitMs` it gives up and
// the pod starts anyway (the agent's watch enforces it when it comes).
import { setTimeout as sleep } from 'node:timers/promises';
import { PORTS } from '../topology.ts';
import type { PodEndpoint } from './view.ts';

export const POLICY_AGENT_URL = `http://127.0.0.1:${PORTS.policy}`;

export async function announceEndpoint(endpoint: PodEndpoint, waitMs = 20_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${POLICY_AGENT_URL}/endpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(endpoint),
        signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())),
      });
      if (res.ok) return;
      last = `HTTP ${res.status}: ${(await res.text()).trim()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`the policy agent did not enforce ${endpoint.namespace}/${endpoint.name} in time: ${last}`);
}
