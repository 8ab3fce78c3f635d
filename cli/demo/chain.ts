// The alert's way from the fault to a run, hop by hop, as the real chain
// takes it: Prometheus's rule goes pending, then firing; Alertmanager holds
// the alert and posts its group to nightshift's webhook; the gateway routes it
// and the intake starts the run. Each hop's time is the time the server itself
// gives where it gives one (Prometheus's activeAt, Alertmanager's startsAt,
// Temporal's start time), else when this watcher first saw it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { managedAlerts, ruleAlerts, webhookNotifications } from '../../lab/index.ts';
import type { FaultSpec } from '../../workflows/index.ts';
import type { WebhookResponse } from '../../worker/index.ts';

export const ALERTNAME = 'CheckoutErrorBudgetBurn';

/** The 3 AM fault the demo, its benchmark and its lab test inject: every TCP packet to port 80 of the cart v1 pods dropped. */
export function cartDrop(duration: string): FaultSpec {
  return {
    target: { namespace: 'production', selector: { app: 'cart-service-v1' } },
    kind: 'drop',
    match: { direction: 'ingress', protocol: 'tcp', dstPorts: 80 },
    magnitude: { percent: 100 },
    duration,
  };
}

export interface Hops {
  pending?: Date;
  firing?: Date;
  webhook?: Date;
  runStarted?: Date;
  runId?: string;
  /** What the rule's value was when it went firing (the success ratio). */
  value?: number;
}

export type HopName = 'pending' | 'firing' | 'webhook' | 'runStarted';

/** Where the webhook hop is seen: when Alertmanager's post reached the gateway, and the runs it started. */
export interface DeliveryWatch {
  /** The first delivery since `since` that started a run of this episode, or undefined. */
  delivered(since: Date): Promise<{ at: Date; runIds: string[] } | undefined>;
}

/** An alert-started run's id: `alert-<fingerprint or group-<hash>>-<unix seconds>` (not another workflow whose id starts alike). */
const ALERT_RUN = /^alert-(group-)?[0-9a-f]+-\d+$/;

/** The firing time an alert run's id carries (`alert-<fingerprint>-<unix seconds>`), or 0. */
function startOf(runId: string): number {
  return Number(/-(\d+)$/.exec(runId)?.[1] ?? 0);
}

/** Collects the answers of a gateway in this process to the webhook (pass `observe` to gatewayRoutes). */
export class Deliveries implements DeliveryWatch {
  readonly answers: { at: Date; status: number; runIds: string[] }[] = [];
  readonly observe = (answer: WebhookResponse, at: Date): void => {
    const runs = Array.isArray(answer.body.runs)
      ? (answer.body.runs as { runId?: unknown; alertname?: unknown }[])
      : [];
    const runIds = runs.flatMap((r) => (r.alertname === ALERTNAME && typeof r.runId === 'string' ? [r.runId] : []));
    this.answers.push({ at, status: answer.status, runIds });
  };

  async delivered(since: Date): Promise<{ at: Date; runIds: string[] } | undefined> {
    return this.answers.find((a) => a.at >= since && a.runIds.some((id) => startOf(id) >= since.getTime() / 1000));
  }
}

/**
 * The webhook hop of a gateway that runs elsewhere (the chart's pod): when
 * Alertmanager's count of webhook notifications first rises past what it was
 * at `start()`, and the alert-started runs Temporal lists from then on.
 */
export class AlertmanagerDeliveries implements DeliveryWatch {
  private before = { sent: 0, failed: 0 };
  private sentAt: Date | undefined;
  private readonly client: Client;

  constructor(client: Client) {
    this.client = client;
  }

  async start(): Promise<this> {
    this.before = await webhookNotifications();
    return this;
  }

  /** Webhook notifications Alertmanager sent, and failed to send, since `start()`. */
  async counts(): Promise<{ sent: number; failed: number }> {
    const now = await webhookNotifications();
    return { sent: now.sent - this.before.sent, failed: now.failed - this.before.failed };
  }

  async delivered(since: Date): Promise<{ at: Date; runIds: string[] } | undefined> {
    if (!this.sentAt && (await this.counts().catch(() => ({ sent: 0 }))).sent > 0) this.sentAt = new Date();
    if (!this.sentAt) return undefined;
    const runIds: string[] = [];
    for await (const w of this.client.workflow.list({ query: 'WorkflowId STARTS_WITH "alert-"' }))
      if (ALERT_RUN.test(w.workflowId) && w.startTime >= since && startOf(w.workflowId) >= since.getTime() / 1000)
        runIds.push(w.workflowId);
    return runIds.length > 0 ? { at: this.sentAt, runIds } : undefined;
  }
}

/** Watches every hop until the run has started; says each as it is seen. */
export async function followChain(options: {
  since: Date;
  deliveries: DeliveryWatch;
  client: Client;
  onHop: (hop: HopName, hops: Hops) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<Hops & { runId: string; runStarted: Date }> {
  const { since, deliveries, client, onHop } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const hops: Hops = {};
  const mark = (hop: HopName, at: Date) => {
    if (hops[hop]) return;
    hops[hop] = at;
    onHop(hop, hops);
  };
  for (;;) {
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) {
      const seen = (['pending', 'firing', 'webhook', 'runStarted'] as const).filter((h) => hops[h]);
      throw new Error(
        `${ALERTNAME} did not start a run within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s ` +
          `(hops seen: ${seen.join(', ') || 'none'}; Prometheus ${hops.pending ? 'saw' : 'did not see'} the rule hold)`,
      );
    }
    const rule = (await ruleAlerts(ALERTNAME).catch(() => [])).find(
      (a) => a.activeAt && Date.parse(a.activeAt) >= since.getTime(),
    );
    if (rule?.activeAt) mark('pending', new Date(rule.activeAt));
    if (rule?.state === 'firing') {
      if (rule.value !== undefined) hops.value ??= Number(rule.value);
      const held = (await managedAlerts(ALERTNAME).catch(() => [])).find(
        (a) => a.status.state === 'active' && Date.parse(a.startsAt) >= since.getTime(),
      );
      // Prometheus sends an alert's firing time as its startsAt.
      mark('firing', held ? new Date(held.startsAt) : new Date());
    }
    // A run started by this episode is named by an alert that began firing after `since`.
    const delivered = await deliveries.delivered(since);
    if (delivered) {
      mark('webhook', delivered.at);
      hops.runId ??= delivered.runIds.find((id) => startOf(id) >= since.getTime() / 1000);
    }
    if (hops.runId) {
      const started = await client.workflow
        .getHandle(hops.runId)
        .describe()
        .then((d) => d.startTime)
        .catch(() => undefined);
      if (started) {
        // A hop the poll missed between two looks still happened before the run.
        if (!hops.firing) mark('firing', delivered?.at ?? started);
        mark('runStarted', started);
        return { ...hops, runId: hops.runId, runStarted: started };
      }
    }
    await sleep(200);
  }
}
