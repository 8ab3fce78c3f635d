// The kubelet part of the simulator: for every pod bound to a lab node, run it
// (PodRunner); when it is deleted, stop it within its grace period and then
// remove the Pod object, as a kubelet confirms a graceful deletion.
// Work for one pod is serialised; different pods proceed in parallel.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus } from '../k8s.ts';
import { NODES, nodeByName } from '../topology.ts';
import { Ipam } from './ipam.ts';
import type { NodeProbers } from './node-probers.ts';
import type { Ledger } from './ledger.ts';
import { PodRunner, type RunnerDeps } from './pod-runner.ts';

export interface KubeletDeps {
  core: CoreV1Api;
  probers: NodeProbers;
  ledger: Ledger;
  podLogs: string;
  kubeletDir: string;
  log: Logger;
  announce?: RunnerDeps['announce'];
}

export class Kubelet {
  private readonly runners = new Map<string, PodRunner>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly ipams = new Map(NODES.map((node) => [node.name, new Ipam(node.podCidr)]));
  private readonly deps: KubeletDeps;

  constructor(deps: KubeletDeps) {
    this.deps = deps;
  }

  /** A pod was added or changed. */
  sync(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    const node = nodeByName(pod.spec?.nodeName ?? '');
    if (!uid || !node) return;
    this.enqueue(uid, async () => {
      const runner = this.runners.get(uid);
      if (pod.metadata?.deletionTimestamp) {
        await this.terminate(uid, pod);
        return;
      }
      if (runner) {
        runner.pod = pod;
        return;
      }
      const ipam = this.ipams.get(node.name);
      if (!ipam) return;
      const fresh = new PodRunner(pod, node, { ...this.deps, ipam });
      this.runners.set(uid, fresh);
      try {
        await fresh.start();
        this.deps.log.info(
          { pod: `${fresh.namespace}/${fresh.name}`, node: node.name, netns: fresh.netns },
          'pod started',
        );
      } catch (err) {
        this.deps.log.error({ pod: `${fresh.namespace}/${fresh.name}`, err }, 'pod start failed');
      }
    });
  }

  /** The Pod object is gone (force-deleted or confirmed): stop what still runs. */
  forget(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || !this.runners.has(uid)) return;
    this.enqueue(uid, () => this.terminate(uid, pod));
  }

  /** Every pod this kubelet runs, for its status page. */
  running(): PodRunner[] {
    return [...this.runners.values()];
  }

  private async terminate(uid: string, pod: V1Pod): Promise<void> {
    const runner = this.runners.get(uid);
    const graceSeconds = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (runner) {
      await runner.stop(graceSeconds * 1000);
      this.runners.delete(uid);
      this.deps.log.info({ pod: `${runner.namespace}/${runner.name}`, netns: runner.netns }, 'pod stopped');
    }
    if (!pod.metadata?.deletionTimestamp) return;
    try {
      await this.deps.core.deleteNamespacedPod({
        name: pod.metadata.name ?? '',
        namespace: pod.metadata.namespace ?? 'default',
        // With a body the API server ignores query options: the grace period goes in the body.
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
    }
  }

  private enqueue(uid: string, work: () => Promise<void>): void {
    const next = (this.queues.get(uid) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.deps.log.error({ uid, err }, 'pod work failed'));
    this.queues.set(uid, next);
    void next.then(() => {
      if (this.queues.get(uid) === next) this.queues.delete(uid);
    });
  }
}
