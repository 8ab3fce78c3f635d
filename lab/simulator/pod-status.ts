// The Pod status the simulator reports: phase, IPs, conditions and one
// container status per container, built from what runs. Pure: the caller
// sends it as a merge patch of pods/status.
import { rfc3339 } from '../k8s.ts';
import type { ContainerState, Termination } from './container.ts';

export interface ContainerView {
  name: string;
  image: string;
  state: ContainerState;
  ready: boolean;
  restartCount: number;
  lastTermination: Termination | undefined;
  pid: number | undefined;
  /** Set while this container cannot be made (bad image, env or mount). */
  failure?: { reason: string; message: string };
}

export interface PodView {
  podIp: string | undefined;
  hostIp: string;
  startTime: Date;
  containers: ContainerView[];
  /** Set while no container of the pod can start (its sandbox or volumes). */
  failure?: { reason: string; message: string };
}

function terminated(t: Termination) {
  return {
    terminated: {
      exitCode: t.exitCode,
      ...(t.signal ? { signal: t.signal === 'SIGKILL' ? 9 : 15 } : {}),
      reason: t.reason,
      startedAt: rfc3339(t.startedAt),
      finishedAt: rfc3339(t.finishedAt),
    },
  };
}

function stateOf(state: ContainerState) {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } };
    case 'running':
      return { running: { startedAt: rfc3339(state.startedAt) } };
    case 'terminated':
      return terminated(state.termination);
  }
}

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime: string;
}

export function podStatus(view: PodView, previous: readonly PodCondition[] = [], now = new Date()) {
  const at = rfc3339(now);
  const condition = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? 'True' : 'False';
    const before = previous.find((c) => c.type === type);
    const since = before && before.status === status ? before.lastTransitionTime : at;
    return { type, status, lastProbeTime: null, lastTransitionTime: since, ...(reason ? { reason } : {}) };
  };
  const running = view.containers.every((c) => c.state.kind === 'running');
  const ready = running && view.containers.every((c) => c.ready);
  const notReadyReason = ready ? undefined : 'ContainersNotReady';
  return {
    phase: running || view.containers.some((c) => c.restartCount > 0) ? 'Running' : 'Pending',
    hostIP: view.hostIp,
    hostIPs: [{ ip: view.hostIp }],
    ...(view.podIp ? { podIP: view.podIp, podIPs: [{ ip: view.podIp }] } : {}),
    startTime: rfc3339(view.startTime),
    conditions: [
      condition('PodReadyToStartContainers', view.podIp !== undefined),
      condition('Initialized', true),
      condition('Ready', ready, notReadyReason),
      condition('ContainersReady', ready, notReadyReason),
      condition('PodScheduled', true),
    ],
    containerStatuses: view.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `lab://${c.image}`,
      ...(c.pid ? { containerID: `lab://${c.pid}` } : {}),
      ready: c.ready,
      started: c.state.kind === 'running',
      restartCount: c.restartCount,
      state:
        c.state.kind === 'waiting' && (c.failure ?? view.failure)
          ? { waiting: c.failure ?? view.failure }
          : stateOf(c.state),
      lastState: c.lastTermination ? terminated(c.lastTermination) : {},
    })),
  };
}
