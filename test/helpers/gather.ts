// What a run's gather step saw, in lines a failing lab test prints: the
// findings that are not informational, the connections that lost answers,
// and how much of its window the flows collector read.
import type { ConnectionStats } from '../../activities/hubble/index.ts';

interface Gather {
  findings?: { kind: string; severity: string; summary: string }[];
  collectors?: {
    flows?: {
      evidence?: {
        flows?: number;
        since?: string;
        readFrom?: string;
        truncated?: boolean;
        connections?: ConnectionStats[];
        http?: { destination: string; responses: number; errors: number; p95Ms?: number }[];
      };
    };
    dns?: {
      evidence?: {
        targets?: {
          from: string;
          server: string;
          samples: number;
          p50Ms?: number;
          p95Ms?: number;
          selfP50Ms?: number;
        }[];
        coredns?: { endpoint: string; p95Ms?: number }[];
      };
    };
  };
}

/** The run's gather step result, from a run status's steps. */
export const gatherOf = (steps: { id: string; result?: unknown }[] | undefined): Gather | undefined =>
  steps?.find((s) => s.id === 'gather')?.result as Gather | undefined;

/** One line per finding that is not informational. */
export const seen = (gather: Gather | undefined): string[] =>
  (gather?.findings ?? []).filter((f) => f.severity !== 'info').map((f) => `${f.kind}: ${f.summary}`);

/** Findings of a refusal by the API server (a permission nightshift's chart does not grant), one line each. */
export const refused = (gather: Gather | undefined): string[] =>
  (gather?.findings ?? []).filter((f) => f.kind.endsWith('.forbidden')).map((f) => `${f.kind}: ${f.summary}`);

/** The connections the flows collector saw lose answers, one line each (what the datapath rules read). */
export const unanswered = (gather: Gather | undefined): string[] =>
  (gather?.collectors?.flows?.evidence?.connections ?? [])
    .filter((c) => c.attempts > c.answered)
    .map(
      (c) =>
        `${c.source} → ${c.destination} ${c.protocol}/${c.port}: ${c.answered}/${c.attempts} answered, ` +
        `trailing ${JSON.stringify(c.trailingLoss)}`,
    );

/** How much of the window the flows collector read (a slow relay is read from its newest end). */
export const flowsRead = (gather: Gather | undefined): string => {
  const e = gather?.collectors?.flows?.evidence;
  return e
    ? `${e.flows} flows read back to ${e.readFrom} (window since ${e.since})${e.truncated ? ', cut' : ''}`
    : 'none';
};

/** Where the time went: each HTTP server's answers as Hubble saw them, and DNS from each place and at CoreDNS. */
export const latencies = (gather: Gather | undefined): string[] => [
  ...(gather?.collectors?.flows?.evidence?.http ?? []).map(
    (h) => `http ${h.destination}: ${h.responses} answers, ${h.errors} errors, p95 ${h.p95Ms ?? '?'} ms`,
  ),
  ...(gather?.collectors?.dns?.evidence?.targets ?? []).map(
    (t) =>
      `dns from ${t.from} to ${t.server}: ${t.samples} lookups, p50 ${t.p50Ms ?? '?'} ms, p95 ${t.p95Ms ?? '?'} ms` +
      ` (the measurer's own ${t.selfP50Ms ?? '?'} ms)`,
  ),
  ...(gather?.collectors?.dns?.evidence?.coredns ?? []).map((c) => `coredns ${c.endpoint}: p95 ${c.p95Ms ?? '?'} ms`),
];
