// Everything a report needs, from Temporal (the run's status, the faults that
// overlapped it) and the traffic probe (its per-second series).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { faultStatusQuery } from '../../workflows/index.ts';
import { statusQuery } from '../../workflows/index.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { FaultWindow, ReportInput, SeriesRow } from './model.ts';

const seriesSchema = z.object({
  rows: z.array(z.object({ t: z.number(), requests: z.number(), failures: z.number(), successRate: z.number(), p95Ms: z.number() }).loose()),
});

async function probeSeries(probeUrl: string, from: number, to: number): Promise<SeriesRow[]> {
  const last = Math.min(3600, Math.ceil(Date.now() / 1000 - from) + 30);
  const response = await fetch(`${probeUrl.replace(/\/+$/, '')}/series?last=${last}`, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`probe ${probeUrl}: HTTP ${response.status}`);
  const { rows } = seriesSchema.parse(await response.json());
  return rows.filter((r) => r.t >= from - 30 && r.t <= to + 30);
}

async function faultWindows(client: Client, from: string, to: string): Promise<FaultWindow[]> {
  const windows: FaultWindow[] = [];
  const query = `WorkflowType="faultWorkflow" AND StartTime <= "${to}"`;
  for await (const wf of client.workflow.list({ query })) {
    if (wf.closeTime && wf.closeTime.toISOString() < from) continue;
    try {
      const status = await client.workflow.getHandle(wf.workflowId).query(faultStatusQuery);
      const target = status.fault?.target;
      const where = target ? (target.type === 'kubernetes' ? `${target.namespace}/${typeof target.selector === 'string' ? target.selector : Object.entries(target.selector).map(([k, v]) => `${k}=${v}`).join(',')}` : `${target.node}/${target.interface}`) : 'unknown target';
      windows.push({
        id: wf.workflowId,
        label: `${status.fault?.kind ?? 'fault'} on ${where}`,
        from: status.injected.length ? status.startedAt : wf.startTime.toISOString(),
        ...(status.end?.at ? { to: status.end.at } : wf.closeTime ? { to: wf.closeTime.toISOString() } : {}),
      });
    } catch {
      windows.push({ id: wf.workflowId, label: 'fault', from: wf.startTime.toISOString(), ...(wf.closeTime ? { to: wf.closeTime.toISOString() } : {}) });
    }
  }
  return windows.sort((a, b) => a.from.localeCompare(b.from));
}

export async function gatherReport(client: Client, runId: string, options: { probeUrl?: string } = {}): Promise<ReportInput> {
  const status = await client.workflow.getHandle(runId).query(statusQuery);
  const generatedAt = new Date().toISOString();
  const end = status.endedAt ?? generatedAt;
  const from = Date.parse(status.startedAt) / 1000 - 60;
  const [series, faults] = await Promise.all([
    options.probeUrl ? probeSeries(options.probeUrl, from, Date.parse(end) / 1000).catch(() => []) : Promise.resolve([]),
    faultWindows(client, new Date(from * 1000).toISOString(), end).catch(() => []),
  ]);
  return { runId, status, series, faults, generatedAt };
}

export function writeReport(input: ReportInput, dir: string): { markdown: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, `${input.runId}.md`);
  const html = join(dir, `${input.runId}.html`);
  writeFileSync(markdown, renderMarkdown(input));
  writeFileSync(html, renderHtml(input));
  return { markdown, html };
}
