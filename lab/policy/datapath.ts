// The TypeScript side of policy.bpf.c: load and pin it (build.ts builds it), write a compiled policy into its maps (bpftool batch,
// one process per sync), attach it to pods' host-side veths (tc clsact,
// both directions), stream its drop events, and undo all of it on stop:
// every filter it added, every clsact it added, every pin.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { run, runJson } from '../../bpf/index.ts';
import { buildDatapath, DatapathError, POLICY_PINS } from './build.ts';
import type { Compiled } from './compile.ts';
import { readDrops, type DropEvent } from './reader.ts';

/** skb->mark of a packet the program drops, OR the drop reason (POLICY_DROP_MARK in policy.h). */
export const POLICY_DROP_MARK = 0x504f4c00;
/** The tc slot the policy program takes on a host-side veth (beside flowtap's 49200, far from faults' band). */
export const TC_PREF = 49_300;
export const TC_HANDLE = '0xf11';

// Map encodings (little-endian host; addresses in network order): policy.h.
const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const u64 = (n: bigint) => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const msToNs = (ms: number | undefined) => BigInt(Math.round((ms ?? 0) * 1e6));
const addr = (ip: string) => ip.split('.').map(Number);

/** Every map entry a compiled policy needs, as bpftool hex, by map name then key. */
export function mapEntries(compiled: Compiled): Record<'ipcache' | 'endpoints' | 'policy', Map<string, string>> {
  const ipcache = new Map<string, string>();
  for (const { prefix, identity } of compiled.ipcache) {
    const [ip = '', len = '32'] = prefix.split('/');
    ipcache.set(hex([...u32(Number(len)), ...addr(ip)]), hex(u32(identity)));
  }
  const endpoints = new Map<string, string>();
  for (const ep of compiled.endpoints) {
    const flags = (ep.enforce.ingress ? 1 : 0) | (ep.enforce.egress ? 2 : 0);
    for (const ip of ep.ips) endpoints.set(hex(addr(ip)), hex([...u32(ep.id), ...u32(ep.identity), ...u32(flags)]));
  }
  const policy = new Map<string, string>();
  for (const e of compiled.entries) {
    const key = [...u32(e.endpoint), ...u32(e.identity), ...u16(e.port), e.protocol, e.direction === 'egress' ? 1 : 0];
    policy.set(hex(key), hex([e.deny ? 1 : 0, e.http ? 1 : 0, 0, 0]));
  }
  return { ipcache, endpoints, policy };
}

export interface Stats {
  forwarded: number;
  reply: number;
  dropped: number;
  eventLost: number;
  /** Conntrack entries found idle past their lifetime (the packet was then policed as new). */
  ctExpired: number;
}

/** Conntrack lifetimes; unset ones keep Cilium's defaults (TCP 6 h, other 60 s, after FIN/RST 10 s). */
export interface CtLifetimes {
  tcpMs?: number;
  otherMs?: number;
  closeMs?: number;
}

export interface Datapath {
  pins: string;
  /** Make the maps hold exactly what `compiled` needs; entries it no longer needs go. */
  program(compiled: Compiled): Promise<{ updated: number; deleted: number }>;
  /** Attach to both directions of a pod's host-side veth. Idempotent. */
  attach(ifname: string, netns?: string): Promise<void>;
  detach(ifname: string, netns?: string): Promise<void>;
  /** Stream drop events until the returned function is called. */
  watch(onEvent: (e: DropEvent) => void, onError?: (err: Error) => void): Promise<() => void>;
  stats(): Promise<Stats>;
  /** Detach everywhere, remove the clsact qdiscs we added, stop watchers, remove the pins. */
  stop(): Promise<void>;
}

const qdiscSchema = z.object({ kind: z.string() });
const filterSchema = z.object({ pref: z.number().optional() });
/** bpftool -j prints a per-CPU map with BTF as raw bytes plus a `formatted` copy. */
const statSchema = z.object({
  formatted: z.object({ key: z.number(), values: z.array(z.object({ value: z.number() })) }),
});

/**
 * Load the program and pin it under `pins`. Pins already there belong to
 * another datapath (or a crashed one): refused unless `replace` says to
 * remove them first.
 */
export async function loadDatapath(o: {
  buildDir: string;
  pins?: string;
  replace?: boolean;
  ctLifetimes?: CtLifetimes;
}): Promise<Datapath> {
  const pins = o.pins ?? POLICY_PINS;
  const { object, helper } = await buildDatapath(o.buildDir);
  if (existsSync(pins)) {
    if (!o.replace)
      throw new DatapathError(`${pins} exists: another policy datapath is loaded (replace: true removes it)`);
    rmSync(pins, { recursive: true, force: true });
  }
  mkdirSync(pins, { recursive: true });
  const map = (name: string) => join(pins, 'maps', name);
  try {
    await run('bpftool', ['prog', 'loadall', object, join(pins, 'progs'), 'pinmaps', join(pins, 'maps')]);
    if (o.ctLifetimes) {
      const { tcpMs, otherMs, closeMs } = o.ctLifetimes;
      const value = [tcpMs, otherMs, closeMs].flatMap((ms) => u64(msToNs(ms)));
      await run('bpftool', [
        ...['map', 'update', 'pinned', map('ct_config'), 'key', 'hex', '00', '00', '00', '00'],
        ...['value', 'hex', ...hex(value).split(' ')],
      ]);
    }
  } catch (err) {
    rmSync(pins, { recursive: true, force: true });
    throw new DatapathError(`cannot load ${object}: ${(err as Error).message}`);
  }
  const written: Record<string, Map<string, string>> = { ipcache: new Map(), endpoints: new Map(), policy: new Map() };
  /** "netns|ifname" -> whether we added its clsact. */
  const attached = new Map<string, { ifname: string; netns?: string; addedClsact: boolean }>();
  const watchers = new Set<() => void>();

  const detach = async (ifname: string, netns?: string) => {
    const key = `${netns ?? ''}|${ifname}`;
    const a = attached.get(key);
    for (const hook of ['ingress', 'egress'])
      await run('tc', ['filter', 'del', 'dev', ifname, hook, 'pref', String(TC_PREF), 'handle', TC_HANDLE, 'bpf'], {
        netns,
      }).catch(() => undefined);
    if (a?.addedClsact) {
      const left = await Promise.all(
        ['ingress', 'egress'].map((hook) =>
          runJson(filterSchema, 'tc', ['-j', 'filter', 'show', 'dev', ifname, hook], { netns }).catch(() => []),
        ),
      );
      if (left.every((l) => l.length === 0))
        await run('tc', ['qdisc', 'del', 'dev', ifname, 'clsact'], { netns }).catch(() => undefined);
    }
    attached.delete(key);
  };

  return {
    pins,
    async program(compiled) {
      const want = mapEntries(compiled);
      // Make before break: identities and policy entries first, then the endpoints that use them, and
      // only then what is no longer wanted. A packet between two lines then meets the old policy or the
      // new one, never an endpoint that enforces entries not written yet.
      const updates: string[] = [];
      const deletes: string[] = [];
      for (const name of ['ipcache', 'policy', 'endpoints'] as const) {
        const entries = want[name];
        const have = written[name] ?? new Map<string, string>();
        for (const [key, value] of entries)
          if (have.get(key) !== value) updates.push(`map update pinned ${map(name)} key hex ${key} value hex ${value}`);
        for (const key of have.keys())
          if (!entries.has(key)) deletes.unshift(`map delete pinned ${map(name)} key hex ${key}`);
        written[name] = new Map(entries);
      }
      const lines = [...updates, ...deletes];
      const updated = updates.length;
      const deleted = deletes.length;
      if (lines.length) {
        try {
          await run('bpftool', ['batch', 'file', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 120_000 });
        } catch (err) {
          throw new DatapathError(`cannot write the policy maps under ${pins}: ${(err as Error).message}`);
        }
      }
      return { updated, deleted };
    },
    async attach(ifname, netns) {
      const key = `${netns ?? ''}|${ifname}`;
      try {
        if (!attached.has(key)) {
          const qdiscs = await runJson(qdiscSchema, 'tc', ['-j', 'qdisc', 'show', 'dev', ifname], { netns });
          const addedClsact = !qdiscs.some((q) => q.kind === 'clsact');
          if (addedClsact) await run('tc', ['qdisc', 'add', 'dev', ifname, 'clsact'], { netns });
          attached.set(key, { ifname, ...(netns ? { netns } : {}), addedClsact });
        }
        for (const [hook, prog] of [
          ['ingress', 'from_container'],
          ['egress', 'to_container'],
        ] as const)
          await run(
            'tc',
            [
              ...['filter', 'replace', 'dev', ifname, hook, 'pref', String(TC_PREF), 'handle', TC_HANDLE],
              ...['bpf', 'da', 'pinned', join(pins, 'progs', prog)],
            ],
            { netns },
          );
      } catch (err) {
        if (attached.has(key)) await detach(ifname, netns);
        throw new DatapathError(`cannot attach to ${ifname}${netns ? ` in ${netns}` : ''}: ${(err as Error).message}`);
      }
    },
    detach,
    async watch(onEvent, onError) {
      const stop = await readDrops(helper, map('events'), onEvent, onError);
      const stopped = () => {
        watchers.delete(stopped);
        stop();
      };
      watchers.add(stopped);
      return stopped;
    },
    async stats() {
      const rows = await runJson(statSchema, 'bpftool', ['-j', 'map', 'dump', 'pinned', map('stats')]);
      const sum = (k: number) =>
        rows.find((r) => r.formatted.key === k)?.formatted.values.reduce((s, v) => s + v.value, 0) ?? 0;
      return { forwarded: sum(0), reply: sum(1), dropped: sum(2), eventLost: sum(3), ctExpired: sum(4) };
    },
    async stop() {
      for (const stop of [...watchers]) stop();
      for (const a of [...attached.values()]) await detach(a.ifname, a.netns);
      rmSync(pins, { recursive: true, force: true });
    },
  };
}
