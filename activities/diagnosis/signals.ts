// The evidence, read once into the signals every rule uses: which collectors
// answered, the symptom (the probe), and helpers to cite findings by id.
import type { z } from 'zod';
import type { Value, Finding } from '../../model/index.ts';
import {
  dnsView,
  etcdView,
  type Evidence,
  faultsView,
  flowsView,
  kubeView,
  nodesView,
  probeView,
  type DnsView,
  type EtcdView,
  type FaultsView,
  type FlowsView,
  type KubeView,
  type NodesView,
  type ProbeView,
} from './bundle.ts';

export interface Part<T> {
  key: string;
  v: T;
  findings: Finding[];
}

export interface Signals {
  ev: Evidence;
  params: Record<string, Value>;
  flows?: Part<FlowsView>;
  dns?: Part<DnsView>;
  etcd?: Part<EtcdView>;
  kube?: Part<KubeView>;
  nodes?: Part<NodesView>;
  probe?: Part<ProbeView>;
  faults?: Part<FaultsView>;
  symptom: { failing: boolean; erroring: boolean; slow: boolean; refs: string[] };
}

function part<T>(ev: Evidence, collector: string, schema: z.ZodType<T>): Part<T> | undefined {
  const got = ev.get(collector, schema);
  return got ? { key: got.key, v: got.evidence, findings: got.findings } : undefined;
}

export function readSignals(ev: Evidence, params: Record<string, Value>): Signals {
  const probe = part(ev, 'probe', probeView);
  const refsOf = (kind: string) => ev.findings(kind).map((f) => f.ref);
  return {
    ev,
    params,
    flows: part(ev, 'flows', flowsView),
    dns: part(ev, 'dns', dnsView),
    etcd: part(ev, 'etcd', etcdView),
    kube: part(ev, 'kubernetes', kubeView),
    nodes: part(ev, 'node-network', nodesView),
    probe,
    faults: part(ev, 'faults', faultsView),
    symptom: {
      failing: refsOf('probe.failing').length > 0 || refsOf('probe.stalled').length > 0,
      erroring:
        refsOf('probe.errors').length > 0 || refsOf('probe.failing').length > 0 || refsOf('probe.stalled').length > 0,
      slow: refsOf('probe.slow').length > 0,
      refs: [
        ...refsOf('probe.failing'),
        ...refsOf('probe.stalled'),
        ...refsOf('probe.errors'),
        ...refsOf('probe.slow'),
      ],
    },
  };
}

/** Evidence ids of a part's findings that satisfy `match`. */
export function cite<T>(p: Part<T> | undefined, match: (f: Finding) => boolean): string[] {
  if (!p) return [];
  return p.findings.filter(match).map((f) => `${p.key}#${f.id ?? f.kind}`);
}

/** Evidence ids of every finding of these kinds, whatever collector made them. */
export function citeKinds(s: Signals, ...kinds: string[]): string[] {
  return s.ev.findings(...kinds).map((f) => f.ref);
}

export const clamp = (x: number) => Math.round(Math.min(0.99, Math.max(0, x)) * 100) / 100;

/** The node a pod (named "pod ns/name" by the DNS collector) runs on. */
export function nodeOfPod(s: Signals, label: string): string | undefined {
  const name = label.replace(/^pod /, '');
  return s.kube?.v.pods.find((p) => `${p.namespace}/${p.name}` === name)?.node;
}

/** Cilium's drop reasons for policy: the policy-denies rule explains these. */
export const POLICY_DROPS = ['POLICY_DENIED', 'POLICY_DENY', 'AUTH_REQUIRED'];

/** A place's lookup times less the measurer's own share (its loopback lookups): what DNS took. */
export function lookupMs(t: DnsView['targets'][number]): { p50?: number; p95?: number } {
  const net = (ms: number | undefined) => (ms === undefined ? undefined : Math.max(0, ms - (t.selfP50Ms ?? 0)));
  return { p50: net(t.p50Ms), p95: net(t.answeredP95Ms) };
}
