// What goes wrong at 3 AM in the demo, one strategy per scenario: how it is
// made, the line the demo prints for it, the cause the diagnosis should name,
// the fix the on-call engineer picks, and how the lab is put right if the
// run did not (so `demo --keep` leaves a working shop).
import type { Client } from '@temporalio/client';
import { applyToLab, LAB_POLICY, POLICY_3AM } from '../../lab/index.ts';
import { faultLimits, type FaultInput } from '../../workflows/index.ts';
import type { Config } from '../../worker/index.ts';
import { cartDrop } from './chain.ts';

export interface Breakage {
  /** The top hypothesis a correct diagnosis names. */
  expected: string;
  /** The remediation action the on-call engineer approves. */
  fix: string;
  /** Make it happen; returns what happened, for the 03:00 line. */
  start(t0: number): Promise<string>;
  /** Put the lab right when the run's fix did not (best effort). */
  undo(): Promise<void>;
}

export const SCENARIOS = ['cart-drop', 'policy'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

type Make = (config: Config, client: Client) => Breakage;

const stamp = (t0: number) => new Date(t0).toISOString().replace(/\D/g, '').slice(8, 14);

/** Every packet into the cart pods dropped by nightshift's own eBPF fault (10 min, with its kernel-side expiry). */
const cartDropBreakage: Make = (config, client) => {
  let faultId = '';
  return {
    expected: 'pod-to-pod-drop',
    fix: 'stop-fault',
    async start(t0) {
      faultId = `demo-cart-drop-${stamp(t0)}`;
      const input: FaultInput = {
        spec: cartDrop('10m'),
        limits: faultLimits(config.faults),
        requestedBy: { id: 'gremlin', name: 'the 3 AM gremlin', via: 'demo' },
      };
      await client.workflow.start('faultWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: faultId,
        args: [input],
      });
      return `packets into the cart pods vanish (eBPF drop fault ${faultId} on production/cart-service-v1, TCP 80)`;
    },
    async undo() {
      if (!faultId) return;
      await client.workflow
        .getHandle(faultId)
        .signal('abort', { reason: 'demo over', by: { id: 'demo' } })
        .catch(() => undefined);
    },
  };
};

/** The seed's payment policy applied over the working one: checkout -> payment denied, payment's DNS too. */
const policyBreakage: Make = (config) => ({
  expected: 'policy-denies',
  fix: 'restore-policy',
  async start() {
    await applyToLab(POLICY_3AM, config.dataDir);
    return (
      'someone applies the payment policy as first written (CiliumNetworkPolicy finance/secure-payment-gateway: ' +
      'fromEndpoints without the production namespace, no DNS egress); the lab datapath enforces it'
    );
  },
  async undo() {
    await applyToLab(LAB_POLICY, config.dataDir).catch(() => undefined);
  },
});

export const BREAKAGES: Record<ScenarioName, Make> = { 'cart-drop': cartDropBreakage, policy: policyBreakage };
