// The embedded default: Temporal's own dev server with a SQLite file, so
// state survives restarts on one machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { requireTool } from './tools.ts';

export interface DevServerOptions {
  /** SQLite file; the server keeps all workflow state here. */
  dbFile: string;
  port: number;
  uiPort?: number;
  /** Disable the web UI (tests). */
  headless?: boolean;
  logFile?: string;
  /** Milliseconds to wait for the frontend to accept connections. */
  startTimeoutMs?: number;
  /** Outlive this process (the lab starts it in the background). */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const temporal = requireTool('temporal');
  const dbFile = resolve(options.dbFile);
  mkdirSync(dirname(dbFile), { recursive: true });
  const logFile = options.logFile ?? join(dirname(dbFile), `temporal-${options.port}.log`);
  const log = openSync(logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
    ...(options.headless || options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
  ];
  const child = spawn(temporal, args, { stdio: ['ignore', log, log], detached: options.detached ?? false });
  if (options.detached) child.unref();
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited with ${code}; see ${logFile}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForFrontend(address, options.port, options.startTimeoutMs ?? 60_000), exited]);
  return {
    address,
    process: child,
    stop: () => stopProcess(child),
  };
}

export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isListening(port)) return;
    await sleep(100);
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Until the frontend answers GetSystemInfo: its port opens before it is healthy ("Frontend is not healthy yet"). */
async function waitForFrontend(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await waitForPort(port, timeoutMs);
  const connection = await Connection.connect({ address, connectTimeout: Math.max(1, deadline - Date.now()) });
  try {
    for (;;) {
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`temporal at ${address} not healthy after ${timeoutMs} ms: ${(err as Error).message}`, {
            cause: err,
          });
        await sleep(100);
      }
    }
  } finally {
    await connection.close();
  }
}

/** SIGTERM, then SIGKILL if it does not exit in time. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
