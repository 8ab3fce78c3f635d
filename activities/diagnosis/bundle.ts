// The evidence bundle as the diagnosis reads it: each collector's result
// found by collector name (whatever key the runbook gave it), its evidence
// checked with zod for the fields the rules use. Evidence that does not parse
// counts as missing, and says so.
import { z } from 'zod';
import type { CollectorResult, Finding } from '../../model/index.ts';

export interface Located {
  /** "<gather step>.<collector key>", the prefix of evidence ids. */
  key: string;
  result: CollectorResult;
}

/** Every collector result in the bundle, gather steps in order, keys in order. */
export function locate(bundle: Record<string, Record<string, CollectorResult>>): Located[] {
  return Object.entries(bundle).flatMap(([step, results]) =>
    Object.entries(results).map(([key, result]) => ({ key: `${step}.${key}`, result })),
  );
}

export class Evidence {
  readonly all: Located[];
  readonly problems: string[] = [];

  constructor(all: Located[]) {
    this.all = all;
  }

  /** The first result of a collector that gave evidence, parsed with `schema`. */
  get<T>(collector: string, schema: z.ZodType<T>): { key: string; evidence: T; findings: Finding[] } | undefined {
    const found = this.all.find((l) => l.result.collector === collector && l.result.evidence !== undefined);
    if (!found) return undefined;
    const parsed = schema.safeParse(found.result.evidence);
    if (!parsed.success) {
      this.problems.push(`${found.key}: evidence not understood (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return undefined;
    }
    return { key: found.key, evidence: parsed.data, findings: found.result.findings };
  }

  /** Findings of a kind (or kinds) from every collector, with their evidence ids. */
  findings(...kinds: string[]): { ref: string; finding: Finding }[] {
    return this.all.flatMap((l) =>
      l.result.findings
        .filter((f) => kinds.includes(f.kind))
        .map((finding) => ({ ref: `${l.key}#${finding.id ?? finding.kind}`, finding })),
    );
  }

  /** Which evidence collectors answered; nightshift's own fault registry is not evidence about the cluster. */
  coverage(): { answered: string[]; failed: string[] } {
    const evidence = this.all.filter((l) => l.result.collector !== 'faults');
    const answered = evidence.filter((l) => l.result.ok).map((l) => l.result.collector);
    const failed = evidence.filter((l) => !l.result.ok).map((l) => l.result.collector);
    return { answered: [...new Set(answered)], failed: [...new Set(failed)] };
  }
}

// The fields of each collector's evidence that the rules read.

export const flowsView = z.object({
  flows: z.number(),
  byVerdict: z.record(z.string(), z.number()),
  drops: z.array(
    z.object({
      source: z.string(),
      destination: z.string(),
      protocol: z.string(),
      port: z.number().optional(),
      reason: z.string(),
      count: z.number(),
      nodes: z.array(z.string()),
      /** Identity labels of each end (absent in evidence from before they were kept). */
      sourceLabels: z.record(z.string(), z.string()).optional(),
      destinationLabels: z.record(z.string(), z.string()).optional(),
    }),
  ),
  pairs: z.array(
    z.object({
      source: z.string(),
      destination: z.string(),
      port: z.number().optional(),
      forwarded: z.number(),
      dropped: z.number(),
    }),
  ),
  /** Connections per pair and how many were answered (absent in evidence from before it existed). */
  connections: z
    .array(
      z.object({
        source: z.string(),
        destination: z.string(),
        protocol: z.string(),
        port: z.number().optional(),
        attempts: z.number(),
        answered: z.number(),
        refused: z.number().default(0),
        nodes: z.array(z.string()).default([]),
        trailingLoss: z
          .object({ unanswered: z.number(), since: z.string().optional(), spanMs: z.number().optional() })
          .optional(),
      }),
    )
    .default([]),
  dropsByNode: z.record(z.string(), z.number()),
  http: z.array(
    z.object({ destination: z.string(), responses: z.number(), errors: z.number(), p95Ms: z.number().optional() }),
  ),
});

export const dnsView = z.object({
  targets: z.array(
    z.object({
      from: z.string(),
      workload: z.string().optional(),
      server: z.string(),
      samples: z.number(),
      timeouts: z.number(),
      stalls: z.number(),
      lossRatio: z.number(),
      /** The typical lookup: over the threshold means every lookup waits, not a busy moment's tail. */
      p50Ms: z.number().optional(),
      answeredP95Ms: z.number().optional(),
      /** The measurer's own share of each time (its loopback lookups): set apart before judging DNS. */
      selfP50Ms: z.number().optional(),
      servfail: z.number(),
    }),
  ),
  coredns: z.array(z.object({ endpoint: z.string(), p95Ms: z.number().optional(), servfailShare: z.number() })),
  slowMs: z.number(),
});

export const etcdView = z.object({
  members: z.array(
    z.object({
      endpoint: z.string(),
      name: z.string().optional(),
      reachable: z.boolean(),
      healthy: z.boolean().optional(),
      hasLeader: z.boolean().optional(),
      walFsyncP99Ms: z.number().optional(),
      backendCommitP99Ms: z.number().optional(),
      leaderChangesInWindow: z.number().optional(),
    }),
  ),
  thresholds: z.object({ fsyncP99Ms: z.number(), commitP99Ms: z.number(), leaderChanges: z.number() }),
  quorum: z.object({ reachable: z.number(), total: z.number(), hasQuorum: z.boolean() }),
});

const podView = z.object({
  namespace: z.string(),
  name: z.string(),
  workload: z.string(),
  labels: z.record(z.string(), z.string()),
  node: z.string().optional(),
  ip: z.string().optional(),
  ready: z.boolean(),
  restarts: z.number(),
});

export const kubeView = z.object({
  pods: z.array(podView),
  workloads: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      replicas: z.number(),
      ready: z.number(),
      revision: z.string().optional(),
    }),
  ),
  services: z.array(z.object({ namespace: z.string(), name: z.string(), ready: z.number(), notReady: z.number() })),
  policies: z.array(
    z.object({
      name: z.string(),
      objectName: z.string(),
      kind: z.string(),
      namespace: z.string().optional(),
      changedAt: z.string().optional(),
      selectsWorkloads: z.array(z.string()),
      lastApplied: z.boolean(),
      object: z.unknown(),
    }),
  ),
  routes: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      rules: z.array(
        z.object({
          index: z.number(),
          backends: z.array(
            z.object({ name: z.string(), namespace: z.string(), weight: z.number(), share: z.number() }),
          ),
          split: z.object({ stable: z.string(), canaries: z.array(z.string()) }).optional(),
        }),
      ),
    }),
  ),
  nodes: z.array(z.object({ name: z.string(), ready: z.boolean() })),
  /** Warning events in the window ("Pod/<name>" objects among them: the kubelet's Unhealthy events). */
  events: z
    .array(
      z.object({
        namespace: z.string(),
        object: z.string(),
        reason: z.string(),
        message: z.string(),
        count: z.number(),
      }),
    )
    .default([]),
  namespaceLabels: z.record(z.string(), z.record(z.string(), z.string())),
  api: z.object({ p50Ms: z.number(), maxMs: z.number() }),
  at: z.string(),
});

export const nodesView = z.object({
  pairs: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      attempts: z.number(),
      lost: z.number(),
      lossRatio: z.number(),
      p95Ms: z.number().optional(),
    }),
  ),
});

export const probeView = z.object({
  summary: z.object({
    successRate: z.number(),
    requests: z.number(),
    failures: z.number(),
    p50Ms: z.number(),
    p95Ms: z.number(),
    failureKinds: z.record(z.string(), z.number()),
  }),
  baseline: z
    .object({ p95Ms: z.number(), successRate: z.number(), requestsPerSecond: z.number().optional() })
    .optional(),
  typicalP95Ms: z.number().optional(),
  errorRatio: z.number(),
});

export const faultsView = z.object({
  active: z.array(
    z.object({
      faultId: z.string(),
      kind: z.string(),
      namespace: z.string().optional(),
      selector: z.string().optional(),
      node: z.string().optional(),
      protocol: z.string().optional(),
      ports: z.string().optional(),
      direction: z.string().optional(),
      state: z.string(),
    }),
  ),
});

export type FlowsView = z.infer<typeof flowsView>;
export type DnsView = z.infer<typeof dnsView>;
export type EtcdView = z.infer<typeof etcdView>;
export type KubeView = z.infer<typeof kubeView>;
export type NodesView = z.infer<typeof nodesView>;
export type ProbeView = z.infer<typeof probeView>;
export type FaultsView = z.infer<typeof faultsView>;
