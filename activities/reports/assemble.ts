// Everything a report needs, from the run's own status and the sources that
// were configured: the SLI series (Prometheus, else the probe) and the nightshift faults that
// overlapped the run (from Temporal, injected by the worker). A source that
// is missing or fails leaves its part of the report empty, never no report.
import type { RunStatus } from '../../model/index.ts';
import type { FaultWindow, ReportInput } from './model.ts';
import { probeSeries, prometheusSeries } from './series.ts';

export interface ReportSources {
  /** The traffic probe whose /series the timeline draws when there is no Prometheus. */
  probeUrl?: string;
  /** The cluster's Prometheus: the timeline draws the checkout SLI from it. */
  prometheusUrl?: string;
  /** nightshift faults that were active between two instants (ISO). */
  faultWindows?: (from: string, to: string) => Promise<FaultWindow[]>;
}

export async function assembleReport(runId: string, status: RunStatus, sources: ReportSources): Promise<ReportInput> {
  const generatedAt = new Date().toISOString();
  const end = status.endedAt ?? generatedAt;
  const from = Date.parse(status.startedAt) / 1000 - 60;
  const [series, faults] = await Promise.all([
    sliRows(sources, from, Date.parse(end) / 1000),
    sources.faultWindows
      ? sources.faultWindows(new Date(from * 1000).toISOString(), end).catch(() => [])
      : Promise.resolve([]),
  ]);
  return { runId, status, series, faults, generatedAt };
}

/** Prometheus's rows when it has any, else the probe's, else none. */
async function sliRows(sources: ReportSources, from: number, to: number) {
  const fromPrometheus = sources.prometheusUrl
    ? await prometheusSeries(sources.prometheusUrl, from, to).catch(() => [])
    : [];
  if (fromPrometheus.some((r) => r.requests > 0)) return fromPrometheus;
  return sources.probeUrl ? probeSeries(sources.probeUrl, from, to).catch(() => []) : [];
}
