// Binds pending pods to lab nodes (the scheduler's job, which the lab does
// without kube-scheduler). Pods that fit nowhere get PodScheduled=False and
// are retried every few seconds, so uncordoning a node lets them in.
import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus, mergePatch, rfc3339 } from '../k8s.ts';
import { nodeByName } from '../topology.ts';
import { chooseNode, SETTLE_POLL_MS, waitForNodesToSettle } from './scheduler.ts';

const RETRY_MS = 3000;

export interface BinderDeps {
  core: CoreV1Api;
  log: Logger;
  pods: () => readonly V1Pod[];
  nodes: () => readonly V1Node[];
}

export class Binder {
  /** Pods bound by us that the informer has not shown bound yet. */
  private readonly assumed = new Map<string, { pod: V1Pod; node: string }>();
  private readonly pending = new Set<string>();
  private readonly firstSeen = new Map<string, number>();
  private readonly deps: BinderDeps;

  constructor(deps: BinderDeps) {
    this.deps = deps;
  }

  wants(pod: V1Pod): boolean {
    const name = pod.spec?.schedulerName;
    return !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && (!name || name === 'default-scheduler');
  }

  consider(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || !this.wants(pod) || this.pending.has(uid) || this.assumed.has(uid)) return;
    this.pending.add(uid);
    void this.bind(pod).finally(() => this.pending.delete(uid));
  }

  /** The informer saw the pod bound (or gone): stop assuming. */
  observed(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (uid && pod.spec?.nodeName) this.assumed.delete(uid);
  }

  private placement(): Map<string, V1Pod[]> {
    const placed = new Map<string, V1Pod[]>();
    const add = (node: string, pod: V1Pod) => placed.set(node, [...(placed.get(node) ?? []), pod]);
    for (const pod of this.deps.pods()) {
      if (pod.spec?.nodeName && !pod.metadata?.deletionTimestamp) add(pod.spec.nodeName, pod);
    }
    for (const { pod, node } of this.assumed.values()) add(node, pod);
    return placed;
  }

  private async bind(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    const labNodes = this.deps.nodes().filter((n) => nodeByName(n.metadata?.name ?? ''));
    const uid = pod.metadata?.uid ?? '';
    const seen = this.firstSeen.get(uid) ?? Date.now();
    this.firstSeen.set(uid, seen);
    if (waitForNodesToSettle(labNodes, seen, Date.now())) {
      this.retryLater(pod, SETTLE_POLL_MS);
      return;
    }
    this.firstSeen.delete(uid);
    const choice = chooseNode(pod, labNodes, this.placement());
    if ('reason' in choice) {
      await this.unschedulable(pod, choice.reason);
      this.retryLater(pod);
      return;
    }
    this.assumed.set(pod.metadata?.uid ?? '', { pod, node: choice.node });
    try {
      await this.deps.core.createNamespacedPodBinding({
        name,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: choice.node },
        },
      });
      this.deps.log.debug({ pod: `${namespace}/${name}`, node: choice.node }, 'bound');
    } catch (err) {
      this.assumed.delete(pod.metadata?.uid ?? '');
      if (!isStatus(err, 409) && !isStatus(err, 404)) {
        this.deps.log.warn({ pod: `${namespace}/${name}`, err }, 'binding failed; retrying');
        this.retryLater(pod);
      }
    }
  }

  /** Try again later with the informer's current copy, unless the pod is gone or bound. */
  private retryLater(pod: V1Pod, afterMs = RETRY_MS): void {
    const uid = pod.metadata?.uid;
    setTimeout(() => {
      const current = this.deps.pods().find((p) => p.metadata?.uid === uid);
      if (current) this.consider(current);
      else if (uid) this.firstSeen.delete(uid);
    }, afterMs).unref();
  }

  private async unschedulable(pod: V1Pod, message: string): Promise<void> {
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastTransitionTime: rfc3339(),
    };
    try {
      await this.deps.core.patchNamespacedPodStatus(
        {
          name: pod.metadata?.name ?? '',
          namespace: pod.metadata?.namespace ?? 'default',
          body: { status: { phase: 'Pending', conditions: [condition] } },
        },
        mergePatch,
      );
    } catch (err) {
      if (!isStatus(err, 404)) this.deps.log.warn({ err }, 'could not mark pod unschedulable');
    }
  }
}
