// One pod on a lab node, from "bound" to "gone": network namespace and veth,
// annotations naming them, one process per container, readiness probes, and
// a Pod status kept true, and the kubelet's Unhealthy events when a
// readiness probe fails (one per message, its count kept). Terminating stops the processes within the grace
// period, removes the namespace, then deletes the Pod object.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, CoreV1Event, V1Container, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus, mergePatch } from '../k8s.ts';
import { POD_ANNOTATIONS as ANNOTATIONS, podHostVethName, podNetnsName, type LabNode } from '../topology.ts';
import { Container } from './container.ts';
import { LAB_ROOT_ENV } from '../component.ts';
import { containerEnv } from './env.ts';
import { resolveImage } from './images.ts';
import type { Ipam } from './ipam.ts';
import type { PodEndpoint } from '../policy/index.ts';
import type { Ledger } from './ledger.ts';
import { createPodNetwork, destroyPodNetwork } from './podnet.ts';
import { podStatus, type PodCondition } from './pod-status.ts';
import type { NodeProbers } from './node-probers.ts';
import { probeOnce, Readiness } from './readiness.ts';

export interface RunnerDeps {
  core: CoreV1Api;
  /** Runs readiness probe attempts from a node's network namespace. */
  probers: NodeProbers;
  ledger: Ledger;
  ipam: Ipam;
  podLogs: string;
  log: Logger;
  /** The CNI step's last part: tell the policy agent, which enforces the pod before it runs. */
  announce?: (endpoint: PodEndpoint) => Promise<void>;
}

interface Slot {
  spec: V1Container;
  container: Container | undefined;
  readiness: Readiness;
  timer: NodeJS.Timeout | undefined;
}

export class PodRunner {
  pod: V1Pod;
  readonly node: LabNode;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly netns: string;
  readonly hostVeth: string;
  private ip: string | undefined;
  private readonly deps: RunnerDeps;
  private readonly slots: Slot[];
  private readonly startedAt = new Date();
  private failure: { reason: string; message: string } | undefined;
  private conditions: PodCondition[] = [];
  private reporting: Promise<void> = Promise.resolve();
  private dirty = false;
  private stopped = false;
  /** Unhealthy events by message: the Event's name, its count, when it was first and last written. */
  private readonly events = new Map<string, { name: string; count: number; first: Date; written: number }>();

  constructor(pod: V1Pod, node: LabNode, deps: RunnerDeps) {
    this.pod = pod;
    this.node = node;
    this.deps = deps;
    this.namespace = pod.metadata?.namespace ?? 'default';
    this.name = pod.metadata?.name ?? '';
    this.uid = pod.metadata?.uid ?? '';
    this.netns = podNetnsName(this.namespace, this.name);
    this.hostVeth = podHostVethName(this.namespace, this.name, this.uid);
    this.slots = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      container: undefined,
      readiness: new Readiness(spec.readinessProbe),
      timer: undefined,
    }));
  }

  async start(): Promise<void> {
    if (existsSync(join('/run/netns', this.netns))) await destroyPodNetwork(this.netns);
    const ip = this.deps.ipam.allocate();
    this.ip = ip;
    this.saveLedger();
    try {
      await createPodNetwork(this.node, { netns: this.netns, hostVeth: this.hostVeth, ip }, this.namespace, this.name);
      await this.annotate();
    } catch (err) {
      // Shown on the pod as a sandbox failure, as a kubelet would.
      this.failure = { reason: 'CreatePodSandboxError', message: (err as Error).message };
      this.report();
      throw err;
    }
    await this.announce(ip);
    for (const slot of this.slots) this.startContainer(slot, ip);
    this.report();
  }

  /** Policy before traffic: the containers start once the agent enforces the pod (or gave up waiting for it). */
  private async announce(ip: string): Promise<void> {
    if (!this.deps.announce) return;
    const endpoint = {
      namespace: this.namespace,
      name: this.name,
      ip,
      labels: this.pod.metadata?.labels ?? {},
      hostInterface: this.hostVeth,
      nodeNetns: this.node.netns,
    };
    try {
      await this.deps.announce(endpoint);
    } catch (err) {
      this.deps.log.warn({ pod: `${this.namespace}/${this.name}`, err }, 'starting without policy enforcement');
    }
  }

  private async annotate(): Promise<void> {
    await this.deps.core.patchNamespacedPod(
      {
        name: this.name,
        namespace: this.namespace,
        body: {
          metadata: {
            annotations: {
              [ANNOTATIONS.netns]: this.netns,
              [ANNOTATIONS.hostInterface]: this.hostVeth,
              [ANNOTATIONS.nodeNetns]: this.node.netns,
            },
          },
        },
      },
      mergePatch,
    );
  }

  private startContainer(slot: Slot, ip: string): void {
    let argv: string[];
    let env: Record<string, string>;
    try {
      const image = resolveImage(slot.spec.image ?? '');
      argv = [process.execPath, image.script, ...(slot.spec.args ?? [])];
      env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOSTNAME: this.name,
        IMAGE_TAG: image.tag,
        // The lab marker: `lab down` finds this process even if its namespace is gone.
        ...(process.env[LAB_ROOT_ENV] ? { [LAB_ROOT_ENV]: process.env[LAB_ROOT_ENV] } : {}),
        ...containerEnv(this.pod, slot.spec, ip, this.node.ip),
      };
    } catch (err) {
      const reason = (err as Error).name === 'ImageError' ? 'ErrImagePull' : 'CreateContainerConfigError';
      this.failure = { reason, message: (err as Error).message };
      this.deps.log.warn({ pod: `${this.namespace}/${this.name}`, reason, err }, 'container cannot start');
      return;
    }
    const container = new Container(
      {
        name: slot.spec.name,
        netns: this.netns,
        argv,
        env,
        log: join(this.deps.podLogs, `${this.netns}.${slot.spec.name}.log`),
      },
      () => this.containerChanged(slot),
    );
    slot.container = container;
    container.start();
  }

  private containerChanged(slot: Slot): void {
    if (slot.container?.state.kind === 'running') this.scheduleProbe(slot, slot.readiness.initialDelayMs);
    else {
      slot.readiness.reset();
      if (slot.timer) clearTimeout(slot.timer);
    }
    this.saveLedger();
    this.report();
  }

  private scheduleProbe(slot: Slot, delayMs: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => void this.probe(slot), delayMs);
  }

  private async probe(slot: Slot): Promise<void> {
    if (this.stopped || !this.ip || slot.container?.state.kind !== 'running') return;
    const result = await probeOnce(slot.spec, slot.spec.readinessProbe, this.ip, (attempt) =>
      this.deps.probers.run(this.node, attempt),
    );
    if (this.stopped) return;
    if (!result.ok) this.unhealthy(slot.spec.name, `Readiness probe failed: ${result.detail ?? 'unknown'}`);
    if (slot.readiness.record(result.ok)) this.report();
    this.scheduleProbe(slot, slot.readiness.periodMs);
  }

  /**
   * A Warning event on the pod as the kubelet records one: the same message again counts on the same
   * Event, written at most every 2 s (the kubelet's recorder aggregates and rate-limits too).
   */
  private unhealthy(container: string, message: string): void {
    const now = new Date();
    let event = this.events.get(message);
    if (!event) {
      event = { name: `${this.name}.${randomBytes(8).toString('hex')}`, count: 0, first: now, written: 0 };
      this.events.set(message, event);
    }
    event.count += 1;
    if (Date.now() - event.written < 2000) return;
    const update = event.written > 0;
    event.written = Date.now();
    const body: CoreV1Event = {
      metadata: { name: event.name, namespace: this.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: this.namespace,
        name: this.name,
        uid: this.uid,
        fieldPath: `spec.containers{${container}}`,
      },
      reason: 'Unhealthy',
      message,
      type: 'Warning',
      source: { component: 'kubelet', host: this.node.name },
      reportingComponent: 'kubelet',
      reportingInstance: this.node.name,
      firstTimestamp: event.first,
      lastTimestamp: now,
      count: event.count,
    };
    const ref = { name: event.name, namespace: this.namespace };
    const write = update
      ? this.deps.core.replaceNamespacedEvent({ ...ref, body })
      : this.deps.core.createNamespacedEvent({ namespace: this.namespace, body });
    write.catch((err: unknown) =>
      this.deps.log.debug({ pod: `${this.namespace}/${this.name}`, err }, 'Unhealthy event not written'),
    );
  }

  /** Send the status; coalesces changes that arrive while a patch is in flight. */
  report(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.reporting = this.reporting.then(async () => {
      this.dirty = false;
      const status = podStatus(
        {
          podIp: this.ip,
          hostIp: this.node.ip,
          startTime: this.startedAt,
          containers: this.slots.map((slot) => ({
            name: slot.spec.name,
            image: slot.spec.image ?? '',
            state: slot.container?.state ?? { kind: 'waiting', reason: 'ContainerCreating' },
            ready: slot.readiness.ready && slot.container?.state.kind === 'running',
            restartCount: slot.container?.restartCount ?? 0,
            lastTermination: slot.container?.lastTermination,
            pid: slot.container?.pid,
          })),
          ...(this.failure ? { failure: this.failure } : {}),
        },
        this.conditions,
      );
      this.conditions = status.conditions;
      try {
        await this.deps.core.patchNamespacedPodStatus(
          { name: this.name, namespace: this.namespace, body: { status } },
          mergePatch,
        );
      } catch (err) {
        if (!isStatus(err, 404))
          this.deps.log.warn({ pod: `${this.namespace}/${this.name}`, err }, 'status update failed');
      }
    });
  }

  private saveLedger(): void {
    if (!this.ip) return;
    this.deps.ledger.put({
      namespace: this.namespace,
      name: this.name,
      uid: this.uid,
      node: this.node.name,
      nodeNetns: this.node.netns,
      netns: this.netns,
      hostVeth: this.hostVeth,
      ip: this.ip,
      processes: this.slots.flatMap((slot) =>
        slot.container?.pid && slot.container.startTime !== undefined
          ? [{ container: slot.spec.name, pid: slot.container.pid, startTime: slot.container.startTime }]
          : [],
      ),
    });
  }

  /** Stop the containers (SIGTERM, then SIGKILL after the grace period) and remove the pod's network. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots) if (slot.timer) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((slot) => slot.container?.stop(graceMs)));
    await destroyPodNetwork(this.netns);
    if (this.ip) this.deps.ipam.release(this.ip);
    this.deps.ledger.remove(this.uid);
    await this.reporting;
  }
}
