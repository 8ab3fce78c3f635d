// What a collector answers: typed evidence plus the findings a person (and
// the diagnosis) should see. Types only.

export type Severity = 'info' | 'warning' | 'critical';

/** One observation a collector makes that a person (and the diagnosis) should see. */
export interface Finding {
  /** Machine-readable kind, e.g. "flows.dropped", "dns.slow", "collector.failed". */
  kind: string;
  /** Stable within its collector result; a hypothesis cites it as "<collector key>#<id>". */
  id?: string;
  severity: Severity;
  summary: string;
  source: string;
  data?: Record<string, unknown>;
}

/** A collector's answer: typed evidence plus findings. */
export interface CollectorResult<E = unknown> {
  collector: string;
  ok: boolean;
  durationMs: number;
  evidence?: E;
  findings: Finding[];
  error?: string;
}
