// The `flows` collector: recent flows from Hubble Relay (or a pasted
// `hubble observe -o json` capture), summarised into dropped flows by source,
// destination, port and reason, traffic per pair, and HTTP answers.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseDuration } from '../../../model/index.ts';
import {
  parseHubbleJson,
  reasonText,
  summariseFlows,
  unansweredEnough,
  type FlowRecord,
  type FlowSummary,
  type HubbleClient,
} from '../../hubble/index.ts';
import type { CollectorResult, StepCall } from '../../../model/index.ts';
import { optionalText } from '../params.ts';
import { budget, collect, errorText, round, type Findings } from '../result.ts';
import { ENOUGH_FLOWS, readRelay, type RelayReading } from './relay.ts';

export interface FlowsEvidence extends FlowSummary {
  source: string;
  since?: string;
  /** From when every question was read to the window's end: later than `since` when the relay was slow. */
  readFrom?: string;
  /** From when connection openings and DNS were read: later than `since` when the newest of a busy window were enough. */
  openingsFrom?: string;
  truncated: boolean;
}

const paramsSchema = z.object({
  namespace: optionalText,
  /** How far back drops and HTTP answers are read. */
  window: z
    .string()
    .refine((t) => parseDuration(t) !== undefined, 'expected a duration like "30s"')
    .default('30s'),
  /** Most flows read per query. */
  maxFlows: z.number().int().positive().default(10_000),
  /** Connection openings and DNS are read newest first until this many flows. */
  enoughFlows: z.number().int().positive().default(ENOUGH_FLOWS),
  /** How many recent forwarded flows no other question reads (kept-alive traffic, HTTP requests) complete the traffic picture. */
  recentFlows: z.number().int().min(0).default(500),
  /** A file of `hubble observe -o json` lines to read instead of the relay. */
  capture: optionalText,
});

export function createFlowsCollector(hubble: HubbleClient | undefined) {
  return async function collectFlows(call: StepCall): Promise<CollectorResult<FlowsEvidence>> {
    const time = budget(8000);
    return collect<FlowsEvidence>('flows', async (findings) => {
      const params = paramsSchema.safeParse(call.params);
      if (!params.success) {
        findings.add('flows.unavailable', 'warning', `flows collector: bad params: ${z.prettifyError(params.error)}`);
        return undefined;
      }
      const p = params.data;
      if (p.capture) return fromCapture(p.capture, findings);
      if (!hubble) {
        findings.add(
          'flows.unavailable',
          'warning',
          'flows collector: no Hubble Relay configured (set NIGHTSHIFT_HUBBLE_RELAY to host:port, 4245 by default)',
        );
        return undefined;
      }
      const end = Date.now();
      const since = new Date(end - (parseDuration(p.window) ?? 30_000));
      let answer: RelayReading;
      try {
        answer = await readRelay(hubble, p, since, time, end);
      } catch (err) {
        findings.add(
          'flows.unavailable',
          'warning',
          `flows collector: Hubble Relay at ${hubble.address} did not answer: ${errorText(err)}`,
        );
        return undefined;
      }
      if (answer.errors.length)
        findings.add(
          'flows.partial',
          'info',
          `${answer.errors.length} of ${answer.questions} flow queries failed (${answer.errors[0]}); the summary covers the rest`,
        );
      // An opening is judged where the answer that brought it ended (see readRelay).
      const judged = (r: FlowRecord) => (r.uuid && answer.reach.get(r.uuid)) || answer.reachedAt;
      const summary = summariseFlows(answer.records, answer.lost, undefined, judged);
      const partly = answer.readFrom > since.getTime();
      describe(summary, findings, answer.truncated && !partly);
      if (partly)
        findings.add(
          'flows.partly-read',
          'info',
          `Hubble Relay answered slowly: the flows were read back to ${new Date(answer.readFrom).toISOString().slice(11, 19)} UTC, the newest ${Math.round((end - answer.readFrom) / 1000)} s of the ${p.window} window`,
        );
      return {
        ...summary,
        source: `hubble-relay ${hubble.address}`,
        since: since.toISOString(),
        readFrom: new Date(answer.readFrom).toISOString(),
        ...(answer.enoughFrom ? { openingsFrom: new Date(answer.enoughFrom).toISOString() } : {}),
        truncated: answer.truncated,
      };
    });
  };
}

async function fromCapture(path: string, findings: Findings): Promise<FlowsEvidence | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    findings.add('flows.unavailable', 'warning', `flows collector: cannot read capture ${path}: ${errorText(err)}`);
    return undefined;
  }
  const parsed = parseHubbleJson(text);
  if (parsed.skipped.length) {
    findings.add(
      'flows.capture-skipped',
      'info',
      `${parsed.skipped.length} line(s) of ${path} were not flows (first: line ${parsed.skipped[0]?.line}, ${parsed.skipped[0]?.reason})`,
    );
  }
  const summary = summariseFlows(parsed.records, parsed.lost);
  describe(summary, findings, false);
  return { ...summary, source: `capture ${path}`, truncated: false };
}

/** "; none of the last 40 since 03:12:09 UTC", when the loss still holds at the window's end. */
function since(c: FlowSummary['connections'][number]): string {
  const t = c.trailingLoss;
  if (!t?.since || t.unanswered < 3 || t.unanswered === c.attempts) return '';
  return `; none of the last ${t.unanswered} since ${t.since.slice(11, 19)} UTC`;
}

/** Findings from a summary: the drops that matter, unanswered connections, HTTP errors, and a word when all is quiet. */
export function describe(summary: FlowSummary, findings: Findings, truncated: boolean): void {
  const totalDrops = summary.byVerdict.DROPPED ?? 0;
  let unansweredPairs = 0;
  for (const c of summary.connections) {
    const unanswered = c.attempts - c.answered;
    if (!unansweredEnough(c)) continue;
    unansweredPairs++;
    const dns = c.port === 53;
    const opened = c.protocol === 'TCP' ? 'connection(s) opened' : 'conversation(s) started';
    const answer = c.protocol === 'TCP' ? 'no SYN-ACK or reset came back' : 'no reply came back';
    findings.add(
      dns ? 'flows.dns-unanswered' : 'flows.unanswered',
      unanswered >= 10 || c.answered === 0 ? 'critical' : 'warning',
      `${c.source} → ${c.destination} ${c.protocol}/${c.port ?? '?'}: ${unanswered} of ${c.attempts} ${opened} got no answer (${answer})${since(c)}${c.nodes.length ? `; seen leaving on ${c.nodes.join(', ')}` : ''}`,
      { ...c, unanswered },
      `unanswered:${c.source}>${c.destination}:${c.protocol.toLowerCase()}/${c.port ?? ''}`,
    );
  }
  for (const g of summary.drops.slice(0, 8)) {
    const dns = g.port === 53;
    const share = g.count / Math.max(1, totalDrops);
    const severity = g.count >= 10 || share >= 0.5 ? 'critical' : 'warning';
    findings.add(
      dns ? 'flows.dns-dropped' : 'flows.dropped',
      severity,
      `${g.count} dropped flow(s) ${g.source} → ${g.destination} ${g.protocol}/${g.port ?? '?'}: ${reasonText(g.reason)}${g.nodes.length ? ` on ${g.nodes.join(', ')}` : ''}`,
      { ...g },
      `dropped:${g.source}>${g.destination}:${g.protocol.toLowerCase()}/${g.port ?? ''}:${g.reason}`,
    );
  }
  for (const h of summary.http) {
    const ratio = h.errors / Math.max(1, h.responses);
    if (h.errors > 0 && ratio >= 0.01) {
      findings.add(
        'flows.http-errors',
        ratio >= 0.5 ? 'critical' : 'warning',
        `${h.destination}: ${h.errors} of ${h.responses} HTTP responses were 5xx (${round(ratio * 100, 1)}%)`,
        { ...h, ratio },
        `http-errors:${h.destination}`,
      );
    }
  }
  if (summary.lost > 0)
    findings.add('flows.lost', 'info', `${summary.lost} flow event(s) were lost before Hubble saw them`);
  if (truncated)
    findings.add('flows.truncated', 'info', `stopped after ${summary.flows} flows; the summary covers those`);
  if (summary.flows === 0) findings.add('flows.none', 'info', 'Hubble returned no flows for this window');
  else if (totalDrops === 0 && unansweredPairs === 0)
    findings.add('flows.clean', 'info', `${summary.flows} flows, none dropped, every connection answered`);
}
