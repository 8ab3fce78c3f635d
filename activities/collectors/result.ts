// What every collector shares: a deadline inside the activity's own timeout,
// a list of findings, and one way to turn an answer into a CollectorResult.
import { Context } from '@temporalio/activity';
import type { CollectorResult, Finding, Severity } from '../../model/index.ts';

/** A collector stops this long before its activity times out, so it can still report. */
const MARGIN_MS = 300;

export interface Budget {
  /** Epoch ms by which the collector must have answered. */
  deadline: number;
  signal: AbortSignal;
  /** Milliseconds left, never below `floor`. */
  left(floor?: number): number;
}

/**
 * The time a collector has from its start: its activity's start-to-close
 * timeout, or less when its schedule-to-close ends sooner (a retry gets what
 * is left); `fallbackMs` outside an activity.
 */
export function budget(fallbackMs: number, now = Date.now()): Budget {
  let timeoutMs = fallbackMs;
  let signal = new AbortController().signal;
  try {
    const ctx = Context.current();
    const { startToCloseTimeoutMs, scheduleToCloseTimeoutMs, scheduledTimestampMs } = ctx.info;
    const left = scheduleToCloseTimeoutMs
      ? scheduledTimestampMs + scheduleToCloseTimeoutMs - now
      : Number.POSITIVE_INFINITY;
    timeoutMs = Math.min(startToCloseTimeoutMs || fallbackMs, left);
    signal = ctx.cancellationSignal;
  } catch {
    // Called directly (tests, CLI): no activity context.
  }
  const deadline = now + Math.max(timeoutMs - MARGIN_MS, Math.min(timeoutMs, 500));
  return { deadline, signal, left: (floor = 0) => Math.max(floor, deadline - Date.now()) };
}

/** Findings of one collector, each with an id unique within it. */
export class Findings {
  readonly list: Finding[] = [];
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  add(kind: string, severity: Severity, summary: string, data?: Record<string, unknown>, id?: string): Finding {
    const finding: Finding = {
      kind,
      id: this.uniqueId(id ?? kind),
      severity,
      summary,
      source: this.source,
      ...(data ? { data } : {}),
    };
    this.list.push(finding);
    return finding;
  }

  private uniqueId(base: string): string {
    const taken = new Set(this.list.map((f) => f.id));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}

/** Wrap a collector body: time it, and keep its findings even when it returns no evidence. */
export async function collect<E>(
  name: string,
  body: (findings: Findings) => Promise<E | undefined>,
): Promise<CollectorResult<E>> {
  const started = Date.now();
  const findings = new Findings(name);
  const evidence = await body(findings);
  const failed = findings.list.find((f) => f.kind === `${name}.unavailable`);
  return {
    collector: name,
    ok: evidence !== undefined && !failed,
    durationMs: Date.now() - started,
    ...(evidence === undefined ? {} : { evidence }),
    findings: findings.list,
    ...(failed ? { error: failed.summary } : {}),
  };
}

/**
 * Resolve with the promise, or with `onTimeout()` when the deadline passes
 * first. A promise that fails after the deadline is ignored, never unhandled.
 */
export async function within<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(
      () => {
        try {
          resolve(onTimeout());
        } catch (err) {
          reject(err);
        }
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
    const detail = cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : '';
    return `${err.message}${detail}${typeof code === 'string' && !err.message.includes(code) ? ` (${code})` : ''}`;
  }
  return String(err);
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
