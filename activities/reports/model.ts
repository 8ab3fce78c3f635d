// What a report is made of: the run's own status, the probe's per-second
// series over the run, and the fault windows that overlapped it.
import type { RunStatus } from '../../model/index.ts';

export interface SeriesRow {
  /** Unix seconds. */
  t: number;
  requests: number;
  failures: number;
  successRate: number;
  p95Ms: number;
}

export interface FaultWindow {
  id: string;
  label: string;
  from: string;
  to?: string;
}

export interface Marker {
  at: string;
  label: string;
}

export interface ReportInput {
  runId: string;
  status: RunStatus;
  series: SeriesRow[];
  faults: FaultWindow[];
  generatedAt: string;
}

/** Decisions and step ends, as the chart marks them. */
export function markers(status: RunStatus): Marker[] {
  const decisions = status.decisions.map((d) => ({
    at: d.at,
    label: `decided ${d.option}${d.auto ? ' (timeout)' : ` by ${d.by.name ?? d.by.id}`}`,
  }));
  const acts = status.steps
    .filter((s) => s.kind === 'act' && s.status === 'done' && s.endedAt)
    .map((s) => ({ at: s.endedAt as string, label: `${s.id} done` }));
  return [...decisions, ...acts].sort((a, b) => a.at.localeCompare(b.at));
}

export function seconds(from: string, to: string | undefined): string {
  if (!to) return 'ongoing';
  const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The probe's worst moments, for the summary line. */
export function probeSummary(
  series: SeriesRow[],
): { minSuccess: number; maxP95: number; failures: number; requests: number } | undefined {
  const rows = series.filter((r) => r.requests > 0);
  if (rows.length === 0) return undefined;
  return {
    minSuccess: Math.min(...rows.map((r) => r.successRate)),
    maxP95: Math.max(...rows.map((r) => r.p95Ms)),
    failures: rows.reduce((n, r) => n + r.failures, 0),
    requests: rows.reduce((n, r) => n + r.requests, 0),
  };
}
