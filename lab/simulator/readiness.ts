// Readiness probes as the kubelet runs them (httpGet and tcpSocket), from
// the pod's node to the pod IP (the attempt is run by that node's prober,
// node-probers.ts). A container without a probe is ready when it runs.
// A failed attempt says why in the kubelet's words (what its Unhealthy
// events carry): "dial tcp 10.244.2.7:5432: i/o timeout", "connect:
// connection refused", "HTTP probe failed with statuscode: 503".
import { request } from 'node:http';
import { createConnection } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { z } from 'zod';

function portOf(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, as the kubelet words it. */
  detail?: string;
}

const dialError = (host: string, port: number, err: NodeJS.ErrnoException) =>
  err.code === 'ECONNREFUSED'
    ? `dial tcp ${host}:${port}: connect: connection refused`
    : err.code === 'EHOSTUNREACH'
      ? `dial tcp ${host}:${port}: connect: no route to host`
      : `dial tcp ${host}:${port}: ${err.message}`;

function httpGet(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${host}:${port}${path}`;
  return new Promise((done) => {
    let timedOut = false;
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      done(
        code >= 200 && code < 400 ? { ok: true } : { ok: false, detail: `HTTP probe failed with statuscode: ${code}` },
      );
    });
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({
        ok: false,
        detail: timedOut
          ? `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
          : `Get "${url}": ${dialError(host, port, err)}`,
      }),
    );
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((done) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      done({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      done({ ok: false, detail: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: dialError(host, port, err) }));
  });
}

/** One probe attempt as the prober on a node runs it. */
export const attemptSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('http'),
    host: z.string(),
    port: z.number().int(),
    path: z.string(),
    timeoutMs: z.number().positive(),
  }),
  z.object({ kind: z.literal('tcp'), host: z.string(), port: z.number().int(), timeoutMs: z.number().positive() }),
]);
export type ProbeAttempt = z.infer<typeof attemptSchema>;

/** Runs an attempt from this process's network namespace. */
export function runAttempt(a: ProbeAttempt): Promise<ProbeResult> {
  return a.kind === 'http' ? httpGet(a.host, a.port, a.path, a.timeoutMs) : tcpConnect(a.host, a.port, a.timeoutMs);
}

/** One probe attempt, run by `run` (from the pod's node); undefined probe means "ready". */
export async function probeOnce(
  container: V1Container,
  probe: V1Probe | undefined,
  podIp: string,
  run: (attempt: ProbeAttempt) => Promise<ProbeResult>,
): Promise<ProbeResult> {
  if (!probe) return { ok: true };
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = portOf(container, probe.httpGet.port);
    if (port === undefined) return { ok: false, detail: `no port ${String(probe.httpGet.port)} in the container` };
    return run({ kind: 'http', host: podIp, port, path: probe.httpGet.path ?? '/', timeoutMs });
  }
  if (probe.tcpSocket) {
    const port = portOf(container, probe.tcpSocket.port);
    if (port === undefined) return { ok: false, detail: `no port ${String(probe.tcpSocket.port)} in the container` };
    return run({ kind: 'tcp', host: podIp, port, timeoutMs });
  }
  return { ok: true };
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
