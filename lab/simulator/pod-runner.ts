// One pod on a lab node, from "bound" to "gone": network namespace and veth
// (or, with hostNetwork, its node's namespace and address), annotations
// naming them, its volumes (pod-volumes.ts), one process per container in a
// mount namespace of its own (container-config.ts), readiness probes, a Pod
// status kept true, and the kubelet's events: Unhealthy when a readiness
// probe fails, FailedMount while a volume cannot be set up (one Event per
// message, its count kept). A pod whose volumes or container config cannot
// be made yet (a ConfigMap, Secret or ServiceAccount not there) is retried
// with back-off, as the kubelet retries. Terminating stops the processes
// within the grace period, removes the volumes and the namespace, then
// deletes the Pod object.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, CoreV1Event, V1Container, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus, mergePatch } from '../k8s.ts';
import { POD_ANNOTATIONS as ANNOTATIONS, podHostVethName, podNetnsName, type LabNode } from '../topology.ts';
import { Container } from './container.ts';
import { containerLaunch } from './container-config.ts';
import { envReferences, type PodObjects } from './env.ts';
import type { Ipam } from './ipam.ts';
import type { PodEndpoint } from '../policy/index.ts';
import type { Ledger } from './ledger.ts';
import { createPodNetwork, destroyPodNetwork, resolvConf } from './podnet.ts';
import { podStatus, type PodCondition } from './pod-status.ts';
import { fetchObjects, fetchServiceAccount, PodVolumes, writeWhole } from './pod-volumes.ts';
import type { NodeProbers } from './node-probers.ts';
import { probeOnce, Readiness } from './readiness.ts';
import type { MountSpec } from './mount-script.ts';
import {
  planVolume,
  podDirs,
  serviceAccountOf,
  volumeReferences,
  withApiAccess,
  type PlannedVolume,
  type PodDirs,
} from './volumes.ts';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** How often a running pod's ConfigMap and Secret volumes are brought up to date (a kubelet: about a minute). */
const RESYNC_MS = 10_000;

/** What the pod's containers are made from, once its volumes are set up. */
interface Prepared {
  objects: PodObjects;
  volumes: PlannedVolume[];
  mounts: Map<string, V1Container['volumeMounts']>;
}

type Failure = { reason: string; message: string };

/** The status reason for an error while making a container, as the kubelet names it. */
function failureReason(err: Error): string {
  if (err.name === 'ImageError') return 'ErrImagePull';
  if (err.name === 'EnvError' || err.name === 'SecurityError') return 'CreateContainerConfigError';
  return 'CreateContainerError';
}

export interface RunnerDeps {
  core: CoreV1Api;
  /** Runs readiness probe attempts from a node's network namespace. */
  probers: NodeProbers;
  ledger: Ledger;
  ipam: Ipam;
  podLogs: string;
  /** Where pods keep their volumes and stage dirs (`<lab>/kubelet`). */
  kubeletDir: string;
  log: Logger;
  /** The CNI step's last part: tell the policy agent, which enforces the pod before it runs. */
  announce?: (endpoint: PodEndpoint) => Promise<void>;
}

interface Slot {
  spec: V1Container;
  container: Container | undefined;
  readiness: Readiness;
  timer: NodeJS.Timeout | undefined;
  /** Why the container cannot be made (yet). */
  failure: Failure | undefined;
}

export class PodRunner {
  pod: V1Pod;
  readonly node: LabNode;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** spec.hostNetwork: the node's network namespace and address; no veth, no policy endpoint. */
  readonly hostNetwork: boolean;
  readonly netns: string;
  /** The node-side veth; empty with hostNetwork. */
  readonly hostVeth: string;
  private ip: string | undefined;
  private readonly deps: RunnerDeps;
  private readonly slots: Slot[];
  private readonly dirs: PodDirs;
  private readonly volumes: PodVolumes;
  private readonly startedAt = new Date();
  /** Why no container can start yet (its volumes), shown on every waiting container. */
  private failure: Failure | undefined;
  private launching: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private resyncTimer: NodeJS.Timeout | undefined;
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
    this.hostNetwork = pod.spec?.hostNetwork === true;
    this.netns = this.hostNetwork ? node.netns : podNetnsName(this.namespace, this.name);
    this.hostVeth = this.hostNetwork ? '' : podHostVethName(this.namespace, this.name, this.uid);
    this.dirs = podDirs(deps.kubeletDir, this.uid);
    this.volumes = new PodVolumes({
      core: deps.core,
      log: deps.log,
      pod,
      serviceAccount: serviceAccountOf(pod),
      dirs: this.dirs,
    });
    this.slots = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      container: undefined,
      readiness: new Readiness(spec.readinessProbe),
      timer: undefined,
      failure: undefined,
    }));
  }

  async start(): Promise<void> {
    if (this.hostNetwork) {
      this.ip = this.node.ip;
      this.saveLedger();
    } else {
      if (existsSync(join('/run/netns', this.netns))) await destroyPodNetwork(this.netns);
      const ip = this.deps.ipam.allocate();
      this.ip = ip;
      this.saveLedger();
      try {
        await createPodNetwork(
          this.node,
          { netns: this.netns, hostVeth: this.hostVeth, ip },
          this.namespace,
          this.name,
        );
        await this.annotate();
      } catch (err) {
        // Shown on the pod as a sandbox failure, as a kubelet would.
        this.failure = { reason: 'CreatePodSandboxError', message: (err as Error).message };
        this.report();
        throw err;
      }
      await this.announce(ip);
    }
    this.launch();
    await this.launching;
  }

  /** Try to start the containers not running yet; serialised, retried with back-off while something is missing. */
  private launch(): void {
    this.retryTimer = undefined;
    this.launching = this.launching.then(() => this.tryLaunch());
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => this.launch(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async tryLaunch(): Promise<void> {
    if (this.stopped || !this.ip) return;
    const ip = this.ip;
    let prepared: Prepared;
    try {
      prepared = await this.prepare();
      this.failure = undefined;
    } catch (err) {
      if (this.stopped) return;
      const message = (err as Error).message;
      this.failure = { reason: 'ContainerCreating', message };
      this.event('FailedMount', message);
      this.deps.log.warn({ pod: `${this.namespace}/${this.name}`, err }, 'volumes not ready; retrying');
      this.report();
      this.retryLater();
      return;
    }
    let waiting = false;
    for (const slot of this.slots) {
      if (this.stopped) return;
      if (slot.container) continue;
      if (!this.startContainer(slot, ip, prepared)) waiting = true;
    }
    this.report();
    if (waiting) this.retryLater();
    else {
      this.retryMs = RETRY_MIN_MS;
      this.resyncLater();
    }
  }

  /** Keep the volumes' files as their ConfigMaps and Secrets are now; a failure keeps the files there are. */
  private resyncLater(): void {
    if (this.stopped || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.launching = this.launching.then(async () => {
        this.resyncTimer = undefined;
        if (this.stopped) return;
        await this.prepare().catch((err: unknown) =>
          this.deps.log.debug({ pod: `${this.namespace}/${this.name}`, err }, 'volumes not brought up to date'),
        );
        this.resyncLater();
      });
    }, RESYNC_MS);
  }

  /** The ServiceAccount, ConfigMaps and Secrets the pod refers to, and its volumes set up on the host. */
  private async prepare(): Promise<Prepared> {
    const core = this.deps.core;
    const sa =
      this.pod.spec?.automountServiceAccountToken === undefined
        ? await fetchServiceAccount(core, this.namespace, serviceAccountOf(this.pod))
        : undefined;
    const { volumes, mounts } = withApiAccess(this.pod, sa);
    const fromVolumes = volumeReferences(volumes);
    const fromEnv = this.slots.map((slot) => envReferences(slot.spec));
    const objects = await fetchObjects(core, this.namespace, {
      configMaps: [...fromVolumes.configMaps, ...fromEnv.flatMap((r) => r.configMaps)],
      secrets: [...fromVolumes.secrets, ...fromEnv.flatMap((r) => r.secrets)],
    });
    const planned = volumes.map((volume) => planVolume(this.pod, volume, objects));
    await this.volumes.setUp(planned);
    return { objects, volumes: planned, mounts };
  }

  /** A hostNetwork pod with dnsPolicy ClusterFirstWithHostNet resolves through the cluster DNS, as on a node. */
  private runtimeMounts(): MountSpec[] {
    if (!this.hostNetwork || this.pod.spec?.dnsPolicy !== 'ClusterFirstWithHostNet') return [];
    const source = join(this.dirs.root, 'etc', 'resolv.conf');
    writeWhole(source, resolvConf(this.namespace, this.name), 0o644);
    return [{ volume: 'resolv.conf', source, target: '/etc/resolv.conf', readOnly: true }];
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

  /** Start one container; false when it cannot be made yet (its failure is set). */
  private startContainer(slot: Slot, ip: string, prepared: Prepared): boolean {
    const make = () =>
      containerLaunch({
        pod: this.pod,
        container: slot.spec,
        mounts: prepared.mounts.get(slot.spec.name),
        volumes: prepared.volumes,
        objects: prepared.objects,
        dirs: this.dirs,
        netns: this.netns,
        podIp: ip,
        hostIp: this.node.ip,
        extraMounts: this.runtimeMounts(),
      });
    let launch;
    try {
      launch = make();
    } catch (err) {
      const reason = failureReason(err as Error);
      slot.failure = { reason, message: (err as Error).message };
      this.deps.log.warn({ pod: `${this.namespace}/${this.name}`, reason, err }, 'container cannot start');
      return false;
    }
    slot.failure = undefined;
    const container = new Container(
      {
        name: slot.spec.name,
        argv: launch.argv,
        env: launch.env,
        create: launch.create,
        files: launch.files,
        relaunch: make,
        // Named by the pod, not its namespace: hostNetwork pods share their node's.
        log: join(this.deps.podLogs, `${podNetnsName(this.namespace, this.name)}.${slot.spec.name}.log`),
      },
      () => this.containerChanged(slot),
    );
    slot.container = container;
    container.start();
    return true;
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
    if (!result.ok) this.event('Unhealthy', `Readiness probe failed: ${result.detail ?? 'unknown'}`, slot.spec.name);
    if (slot.readiness.record(result.ok)) this.report();
    this.scheduleProbe(slot, slot.readiness.periodMs);
  }

  /**
   * A Warning event on the pod as the kubelet records one: the same message again counts on the same
   * Event, written at most every 2 s (the kubelet's recorder aggregates and rate-limits too).
   */
  private event(reason: string, message: string, container?: string): void {
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
        ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
      },
      reason,
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
      this.deps.log.debug({ pod: `${this.namespace}/${this.name}`, err }, `${reason} event not written`),
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
            ...(slot.failure ? { failure: slot.failure } : {}),
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
      ...(this.hostNetwork ? { hostNetwork: true } : {}),
      processes: this.slots.flatMap((slot) =>
        slot.container?.pid && slot.container.startTime !== undefined
          ? [{ container: slot.spec.name, pid: slot.container.pid, startTime: slot.container.startTime }]
          : [],
      ),
    });
  }

  /**
   * Stop the containers (SIGTERM, then SIGKILL after the grace period), remove the pod's volumes and
   * its network (a hostNetwork pod's is its node's: it stays).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    await this.launching;
    for (const slot of this.slots) if (slot.timer) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((slot) => slot.container?.stop(graceMs)));
    this.volumes.remove();
    if (!this.hostNetwork) {
      await destroyPodNetwork(this.netns);
      if (this.ip) this.deps.ipam.release(this.ip);
    }
    this.deps.ledger.remove(this.uid);
    await this.reporting;
  }
}
