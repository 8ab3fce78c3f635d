// Is a lab process healthy: its HTTP(S) health endpoint answers 2xx, its
// port accepts connections, or (for processes without either) it is alive.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, logTail } from './procs.ts';
import { LabError } from './sh.ts';
import type { HealthCheck, ProcessRecord } from './state.ts';

const TIMEOUT_MS = 2000;

function httpsOk(url: string, ca: string | undefined): Promise<boolean> {
  return new Promise((done) => {
    const req = httpsRequest(
      url,
      { timeout: TIMEOUT_MS, ...(ca ? { ca: readFileSync(ca) } : { rejectUnauthorized: false }) },
      (res) => {
        res.resume();
        done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function tcpOk(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port, timeout: TIMEOUT_MS });
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

export function checkHealth(check: HealthCheck): Promise<boolean> {
  switch (check.kind) {
    case 'http':
      return Promise.all([check.url, ...(check.also ?? [])].map(httpOk)).then((oks) => oks.every(Boolean));
    case 'https':
      return httpsOk(check.url, check.ca);
    case 'tcp':
      return tcpOk(check.host, check.port);
    case 'alive':
      return Promise.resolve(true);
  }
}

/** Wait until the process is healthy; fail at once, with its log, if it dies. */
export async function waitHealthy(proc: ProcessRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(proc.pid, proc.startTime)) {
      throw new LabError(`${proc.name} exited during start; last lines of ${proc.log}:\n${logTail(proc.log)}`);
    }
    if (await checkHealth(proc.health)) return;
    if (Date.now() > deadline) {
      throw new LabError(
        `${proc.name} not healthy after ${timeoutMs} ms; last lines of ${proc.log}:\n${logTail(proc.log)}`,
      );
    }
    await sleep(100);
  }
}

/** Poll `probe` until it returns a value, or fail naming `what` (evaluated at the end). */
export async function waitFor<T>(
  what: string | (() => string),
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      const name = typeof what === 'string' ? what : what();
      throw new LabError(`timed out after ${timeoutMs} ms waiting for ${name}${why}`);
    }
    await sleep(200);
  }
}
