// What every remediation action shares: params parsed with zod (bad ones are
// non-retryable input errors), Kubernetes errors mapped onto the error
// catalogue, heartbeats while waiting, and the Kubernetes clients.
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { failure } from '../../model/index.ts';
import { classify } from '../collectors/kubernetes/client.ts';
import type { StepCall } from '../../model/index.ts';

export function params<T>(schema: z.ZodType<T>, call: StepCall, action: string): T {
  const parsed = schema.safeParse(call.params);
  if (!parsed.success) throw failure('InvalidInput', `${action}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Run a Kubernetes call; 403 and 404 become non-retryable failures that say what was missing. */
export async function k8s<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const f = classify(err);
    if (f.kind === 'forbidden') throw failure('Forbidden', `nightshift may not ${what}: ${f.message}`);
    if (f.kind === 'not-found') throw failure('NotFound', `cannot ${what}: not found (${f.message})`);
    if (f.kind === 'other') throw failure('InvalidInput', `cannot ${what}: ${f.message}`);
    throw err;
  }
}

/** Heartbeat when running as an activity; a no-op in tests. */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity
  }
}

export function cancelled(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Poll `check` every `everyMs` until it returns a value or `timeoutMs` passes. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() + everyMs > deadline || cancelled()?.aborted) return undefined;
    heartbeat({ waitingFor: what });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const duration = (fallback: string) =>
  z
    .string()
    .regex(/^(\d+(ms|s|m))+$/, 'expected a duration like "60s"')
    .default(fallback)
    .transform((t) =>
      [...t.matchAll(/(\d+)(ms|s|m)/g)].reduce(
        (ms, m) => ms + Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'] ?? 0),
        0,
      ),
    );
