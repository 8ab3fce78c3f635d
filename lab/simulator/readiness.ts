// Readiness probes as the kubelet runs them (httpGet and tcpSocket), from
// the host to the pod IP. A container without a probe is ready when it runs.
import { request } from 'node:http';
import { createConnection } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

function portOf(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function httpGet(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(false));
  });
}

/** One probe attempt; undefined probe means "ready". */
export async function probeOnce(container: V1Container, probe: V1Probe | undefined, podIp: string): Promise<boolean> {
  if (!probe) return true;
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = portOf(container, probe.httpGet.port);
    return port !== undefined && httpGet(podIp, port, probe.httpGet.path ?? '/', timeoutMs);
  }
  if (probe.tcpSocket) {
    const port = portOf(container, probe.tcpSocket.port);
    return port !== undefined && tcpConnect(podIp, port, timeoutMs);
  }
  return true;
}

/** Tracks one container's readiness with the probe's thresholds. */
export class Readiness {
  ready = false;
  private successes = 0;
  private failures = 0;
  private readonly probe: V1Probe | undefined;

  constructor(probe: V1Probe | undefined) {
    this.probe = probe;
  }

  get periodMs(): number {
    return (this.probe?.periodSeconds ?? 10) * 1000;
  }

  get initialDelayMs(): number {
    return (this.probe?.initialDelaySeconds ?? 0) * 1000;
  }

  /** Record a result; true when readiness changed. */
  record(ok: boolean): boolean {
    const before = this.ready;
    if (ok) {
      this.failures = 0;
      this.successes += 1;
      if (this.successes >= (this.probe?.successThreshold ?? 1)) this.ready = true;
    } else {
      this.successes = 0;
      this.failures += 1;
      if (this.failures >= (this.probe?.failureThreshold ?? 3)) this.ready = false;
    }
    return before !== this.ready;
  }

  reset(): void {
    this.ready = false;
    this.successes = 0;
    this.failures = 0;
  }
}
