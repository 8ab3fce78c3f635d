// Connect samples per node pair reduced to loss and latency, and the node
// that every lossy pair has in common, when there is one; the same for a
// pod's connects to Service backends.
import type { TcpSample } from '../../../model/index.ts';
import { round, type Findings } from '../result.ts';

export interface PairStats {
  from: string;
  to: string;
  attempts: number;
  lost: number;
  lossRatio: number;
  p50Ms?: number;
  p95Ms?: number;
}

const pct = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

export function pairStats(from: string, to: string, samples: TcpSample[]): PairStats {
  const lost = samples.filter((s) => s.outcome === 'timeout' || s.outcome === 'unreachable').length;
  const answered = samples
    .filter((s) => s.outcome === 'connected' || s.outcome === 'refused')
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const p50 = pct(answered, 0.5);
  const p95 = pct(answered, 0.95);
  return {
    from,
    to,
    attempts: samples.length,
    lost,
    lossRatio: samples.length ? round(lost / samples.length, 3) : 0,
    ...(p50 === undefined ? {} : { p50Ms: round(p50, 2) }),
    ...(p95 === undefined ? {} : { p95Ms: round(p95, 2) }),
  };
}

function byTarget(perSource: { from: string; samples: TcpSample[] }[]): PairStats[] {
  return perSource.flatMap(({ from, samples }) => {
    const targets = [...new Set(samples.map((s) => s.target))].sort();
    return targets.map((to) =>
      pairStats(
        from,
        to,
        samples.filter((s) => s.target === to),
      ),
    );
  });
}

export function assessPairs(
  perNode: { from: string; samples: TcpSample[] }[],
  lossThreshold: number,
  slowMs: number,
  findings: Findings,
): PairStats[] {
  const pairs = byTarget(perNode);
  const lossy = pairs.filter((p) => p.lossRatio >= lossThreshold && p.lost > 0);
  for (const p of lossy) {
    findings.add(
      'node-network.loss',
      p.lossRatio >= 0.25 ? 'critical' : 'warning',
      `${p.from} → ${p.to}: ${p.lost} of ${p.attempts} TCP connects got no answer (${round(p.lossRatio * 100, 1)}%)`,
      { ...p },
      `loss:${p.from}>${p.to}`,
    );
  }
  for (const p of pairs.filter((x) => x.p95Ms !== undefined && x.p95Ms > slowMs)) {
    findings.add(
      'node-network.slow',
      'warning',
      `${p.from} → ${p.to}: TCP connect p95 ${p.p95Ms} ms (p50 ${p.p50Ms} ms)`,
      { ...p },
      `slow:${p.from}>${p.to}`,
    );
  }
  const common = commonNode(lossy);
  if (common) {
    findings.add(
      'node-network.node-suspect',
      'critical',
      `every lossy pair involves node ${common} (${lossy.length} of ${pairs.length} pairs lose packets)`,
      { node: common, lossyPairs: lossy.length, pairs: pairs.length },
      `suspect:${common}`,
    );
  }
  if (lossy.length === 0 && pairs.length) {
    const worst = Math.max(...pairs.map((p) => p.p95Ms ?? 0));
    findings.add(
      'node-network.healthy',
      'info',
      `node-to-node: ${pairs.length} pairs, no loss, worst connect p95 ${worst} ms`,
    );
  }
  return pairs;
}

/** The one node in every lossy pair, when there are at least two such pairs (or exactly one node is shared). */
export function commonNode(lossy: PairStats[]): string | undefined {
  if (lossy.length < 2) return undefined;
  const counts = new Map<string, number>();
  for (const p of lossy) for (const n of new Set([p.from, p.to])) counts.set(n, (counts.get(n) ?? 0) + 1);
  const everywhere = [...counts]
    .filter(([, c]) => c === lossy.length)
    .map(([n]) => n)
    .sort();
  return everywhere.length === 1 ? everywhere[0] : undefined;
}

/** A pod's connects to Service backends: loss and slowness per path, and a clean bill when none. */
export function assessPaths(
  perPod: { from: string; samples: TcpSample[] }[],
  lossThreshold: number,
  slowMs: number,
  findings: Findings,
): PairStats[] {
  const paths = byTarget(perPod);
  const lossy = paths.filter((p) => p.lossRatio >= lossThreshold && p.lost > 0);
  for (const p of lossy)
    findings.add(
      'node-network.path-loss',
      p.lossRatio >= 0.25 ? 'critical' : 'warning',
      `${p.from} → ${p.to}: ${p.lost} of ${p.attempts} TCP connects got no answer (${round(p.lossRatio * 100, 1)}%)`,
      { ...p },
      `path-loss:${p.from}>${p.to}`,
    );
  for (const p of paths.filter((x) => x.p95Ms !== undefined && x.p95Ms > slowMs))
    findings.add(
      'node-network.path-slow',
      'warning',
      `${p.from} → ${p.to}: TCP connect p95 ${p.p95Ms} ms (p50 ${p.p50Ms} ms)`,
      { ...p },
      `path-slow:${p.from}>${p.to}`,
    );
  if (lossy.length === 0 && paths.length)
    findings.add(
      'node-network.paths-healthy',
      'info',
      `pod to service backends: ${paths.length} paths, no loss, worst connect p95 ${Math.max(...paths.map((p) => p.p95Ms ?? 0))} ms`,
    );
  return paths;
}
