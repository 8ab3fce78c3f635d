// A fault as people and game days write it, its zod schema, and the limits
// it is checked against. Pure: the workflow sandbox, the CLI and the game-day
// code all validate with this one module, and every problem names its field.
import { z } from 'zod';
import type { FaultKind, FaultMatch, Magnitude, Value } from '../../model/index.ts';
import {
  delayMsSchema,
  durationSchema,
  formatDuration,
  formatIssues,
  ifnameSchema,
  jitterMsSchema,
  nameSchema,
  netnsSchema,
  parseDuration,
  peersSchema,
  ratePpsSchema,
  valueSchema,
} from '../../model/index.ts';
import { defaultCatalogue, type Catalogue } from '../../runbooks/index.ts';

/** A port, a "lo-hi" range, or {from, to}. */
export type PortSpec = number | string | { from: number; to: number };

/** The stable input type: what `nightshift fault inject` and game days send. */
export interface FaultSpec {
  /** Direct: a node's interface (in `netns`, or the node's own namespace). Kubernetes: pods by selector. */
  target:
    | { node: string; interface: string; netns?: string }
    | { namespace: string; selector: Record<string, string> | string };
  kind: FaultKind;
  match: {
    direction: 'ingress' | 'egress';
    protocol?: 'tcp' | 'udp' | 'icmp' | 'any';
    srcPorts?: PortSpec;
    dstPorts?: PortSpec;
    /** IPv4/IPv6 CIDRs of the other side. */
    peers?: string[];
  };
  magnitude: { percent?: number; delayMs?: number; jitterMs?: number; ratePps?: number };
  /** "30s", "5m": at most the configured maximum. */
  duration: string;
  /** Catalogue probes (runbooks/catalogue.ts, by name) whose failure ends the fault early. */
  stopWhen?: { probe: string; params?: Record<string, Value>; every?: string }[];
  /** How long after injecting the counters are read for the verdict (default 2s). */
  verdictAfter?: string;
}

export interface FaultLimits {
  maxDurationMs: number;
  allowedNamespaces: string[];
  maxPods: number;
}

/** Limits from config.faults (worker/config.ts). */
export function faultLimits(faults: {
  maxDuration: string;
  allowedNamespaces: string[];
  maxPods: number;
}): FaultLimits {
  return {
    maxDurationMs: parseDuration(faults.maxDuration) ?? 30 * 60_000,
    allowedNamespaces: faults.allowedNamespaces,
    maxPods: faults.maxPods,
  };
}

export type ResolvedTargetSpec =
  | { type: 'direct'; node: string; interface: string; netns?: string }
  | { type: 'kubernetes'; namespace: string; selector: Record<string, string> | string };

/** A spec after validation: normalised units, defaults filled in. */
export interface ValidFault {
  target: ResolvedTargetSpec;
  kind: FaultKind;
  match: FaultMatch;
  magnitude: Magnitude;
  durationMs: number;
  /** `activity`: the catalogue probe's activity (absent in runs recorded before probes were checked). */
  stopWhen: { probe: string; activity?: string; params: Record<string, Value>; everyMs: number }[];
  verdictAfterMs: number;
}

export interface ValidateFaultOptions {
  /** Where stopWhen probes must come from (the default catalogue). */
  catalogue?: Pick<Catalogue, 'probes'>;
  /**
   * Runs started before stop conditions were checked against the catalogue
   * replay with probe names taken as activity names (see the workflow's patch).
   */
  legacyProbes?: boolean;
}

function portBounds(value: PortSpec): [number, number] | undefined {
  if (typeof value === 'number') return [value, value];
  if (typeof value === 'object') return [value.from, value.to];
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

const portRange = z
  .union([z.number(), z.string(), z.object({ from: z.number(), to: z.number() })])
  .transform((value, ctx) => {
    const bounds = portBounds(value);
    if (!bounds) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a port or a range like "8000-8100", got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    const [from, to] = bounds;
    const bad = bounds.find((port) => !Number.isInteger(port) || port < 1 || port > 65535);
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `port ${bad} is out of range (1-65535)` });
      return z.NEVER;
    }
    if (from > to) {
      ctx.addIssue({ code: 'custom', message: `port range ${from}-${to} runs backwards` });
      return z.NEVER;
    }
    return { from, to };
  });

const targetSchema = z
  .strictObject({
    node: nameSchema('a node name').optional(),
    interface: ifnameSchema.optional(),
    netns: netnsSchema.optional(),
    namespace: nameSchema('a Kubernetes namespace').optional(),
    selector: z.union([z.record(z.string(), z.string()), z.string().min(1)]).optional(),
  })
  .superRefine((t, ctx) => {
    const direct = t.node !== undefined || t.interface !== undefined || t.netns !== undefined;
    const kube = t.namespace !== undefined || t.selector !== undefined;
    if (direct === kube) {
      ctx.addIssue({ code: 'custom', message: 'expected either {node, interface[, netns]} or {namespace, selector}' });
    } else if (direct && (!t.node || !t.interface)) {
      ctx.addIssue({ code: 'custom', path: [t.node ? 'interface' : 'node'], message: 'required for a direct target' });
    } else if (kube && (!t.namespace || t.selector === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [t.namespace ? 'selector' : 'namespace'],
        message: 'required for a Kubernetes target',
      });
    }
  });

const schema = z.strictObject({
  target: targetSchema,
  kind: z.enum(['drop', 'delay']),
  match: z.strictObject({
    direction: z.enum(['ingress', 'egress']),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'any']).default('any'),
    srcPorts: portRange.optional(),
    dstPorts: portRange.optional(),
    peers: peersSchema.default([]),
  }),
  magnitude: z.strictObject({
    percent: z.number().min(0).max(100).optional(),
    delayMs: delayMsSchema.optional(),
    jitterMs: jitterMsSchema.optional(),
    ratePps: ratePpsSchema.optional(),
  }),
  duration: durationSchema,
  stopWhen: z
    .array(
      z.strictObject({
        probe: z.string().min(1),
        params: z.record(z.string(), valueSchema).default({}),
        every: durationSchema.default('5s'),
      }),
    )
    .max(8)
    .default([]),
  verdictAfter: durationSchema.default('2s'),
});

/** Problems of a spec against the limits, one line each, starting with the field. */
function limitProblems(spec: z.infer<typeof schema>, limits: FaultLimits, options: ValidateFaultOptions): string[] {
  const problems: string[] = [];
  const durationMs = parseDuration(spec.duration) ?? 0;
  if (durationMs <= 0) problems.push('duration: must be longer than 0s');
  if (durationMs > limits.maxDurationMs) {
    problems.push(`duration: ${spec.duration} is over the maximum of ${formatDuration(limits.maxDurationMs)}`);
  }
  const { magnitude, match, kind, target } = spec;
  if (kind === 'drop' && magnitude.percent === undefined) problems.push('magnitude.percent: required for a drop fault');
  if (kind === 'drop' && magnitude.delayMs !== undefined) problems.push('magnitude.delayMs: only for a delay fault');
  if (kind === 'delay' && magnitude.delayMs === undefined)
    problems.push('magnitude.delayMs: required for a delay fault');
  if (kind === 'delay' && magnitude.percent !== undefined) problems.push('magnitude.percent: only for a drop fault');
  for (const field of ['srcPorts', 'dstPorts'] as const) {
    if (match[field] && match.protocol !== 'tcp' && match.protocol !== 'udp') {
      problems.push(`match.${field}: ports need protocol tcp or udp (got ${match.protocol})`);
    }
  }
  const probes = (options.catalogue ?? defaultCatalogue).probes;
  spec.stopWhen.forEach((stop, i) => {
    if ((parseDuration(stop.every) ?? 0) < 1000) problems.push(`stopWhen[${i}].every: must be 1s or more`);
    if (!options.legacyProbes && !Object.hasOwn(probes, stop.probe)) {
      problems.push(
        `stopWhen[${i}].probe: unknown probe "${stop.probe}" (a stop condition names a catalogue probe: ` +
          `${Object.keys(probes).join(', ') || 'none'})`,
      );
    }
  });
  if (target.namespace !== undefined && !limits.allowedNamespaces.includes(target.namespace)) {
    problems.push(
      `target.namespace: faults are not allowed in "${target.namespace}" (allowed: ${limits.allowedNamespaces.join(', ') || 'none'})`,
    );
  }
  return problems;
}

function normalise(spec: z.infer<typeof schema>, options: ValidateFaultOptions): ValidFault {
  const probes = (options.catalogue ?? defaultCatalogue).probes;
  const { target, match, magnitude } = spec;
  return {
    target:
      target.namespace !== undefined && target.selector !== undefined
        ? { type: 'kubernetes', namespace: target.namespace, selector: target.selector }
        : {
            type: 'direct',
            node: target.node ?? '',
            interface: target.interface ?? '',
            ...(target.netns ? { netns: target.netns } : {}),
          },
    kind: spec.kind,
    match: {
      direction: match.direction,
      protocol: match.protocol,
      ...(match.srcPorts ? { srcPorts: match.srcPorts } : {}),
      ...(match.dstPorts ? { dstPorts: match.dstPorts } : {}),
      peers: match.peers,
    },
    magnitude:
      spec.kind === 'drop'
        ? { dropPpm: Math.round((magnitude.percent ?? 0) * 10_000) }
        : {
            delayMs: magnitude.delayMs ?? 0,
            jitterMs: magnitude.jitterMs ?? 0,
            ...(magnitude.ratePps ? { ratePps: magnitude.ratePps } : {}),
          },
    durationMs: parseDuration(spec.duration) ?? 0,
    stopWhen: spec.stopWhen.map((s) => ({
      probe: s.probe,
      ...(options.legacyProbes ? {} : { activity: probes[s.probe]?.activity ?? s.probe }),
      params: s.params,
      everyMs: parseDuration(s.every) ?? 5000,
    })),
    verdictAfterMs: parseDuration(spec.verdictAfter) ?? 2000,
  };
}

export type Validation = { ok: true; fault: ValidFault; spec: FaultSpec } | { ok: false; problems: string[] };

/** The spec as accepted, with defaults filled in: what a client sends on. */
function canonical(spec: z.infer<typeof schema>, fault: ValidFault): FaultSpec {
  const { target } = fault;
  return {
    target:
      target.type === 'direct'
        ? { node: target.node, interface: target.interface, ...(target.netns ? { netns: target.netns } : {}) }
        : { namespace: target.namespace, selector: target.selector },
    kind: spec.kind,
    match: { ...fault.match },
    magnitude: spec.magnitude,
    duration: spec.duration,
    stopWhen: spec.stopWhen,
    verdictAfter: spec.verdictAfter,
  };
}

export function validateFault(spec: unknown, limits: FaultLimits, options: ValidateFaultOptions = {}): Validation {
  const parsed = schema.safeParse(spec);
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error.issues) };
  const problems = limitProblems(parsed.data, limits, options);
  if (problems.length) return { ok: false, problems };
  const fault = normalise(parsed.data, options);
  return { ok: true, fault, spec: canonical(parsed.data, fault) };
}

// The interface above is what callers see; the schema must accept every value of it
// (tsc fails here if the two drift apart).
type SpecAccepted = FaultSpec extends z.input<typeof schema> ? true : never;
export const SPEC_MATCHES_SCHEMA: SpecAccepted = true;
