// What every fault test checks afterwards: no nightshift program on any
// interface, no tc filter, no qdisc we added, nothing pinned for its faults.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FQ_HANDLE, netnsPath, nsfault, PIN_ROOT, runJson } from '../../../bpf/index.ts';
import { IFACE, type Topology } from './netns.ts';

const anyObject = z.record(z.string(), z.unknown());

export interface Leftovers {
  programs: string[];
  filters: string[];
  qdiscs: string[];
  pins: string[];
}

export async function leftovers(topology: Topology, faultIds: string[]): Promise<Leftovers> {
  const found: Leftovers = { programs: [], filters: [], qdiscs: [], pins: [] };
  for (const netns of [topology.client, topology.server]) {
    if (!existsSync(netnsPath(netns))) continue;
    const links = await runJson(anyObject, 'ip', ['-j', 'link', 'show', 'dev', IFACE], { netns }).catch(() => []);
    if (links.length === 0) continue; // the test deleted it: nothing can hang on it
    const progs = await nsfault.query(IFACE, { netns });
    for (const prog of [...progs.ingress, ...progs.egress])
      found.programs.push(`${netns}/${IFACE}: ${prog.name} #${prog.id}`);
    for (const hook of ['ingress', 'egress']) {
      const filters = await runJson(anyObject, 'tc', ['-j', 'filter', 'show', 'dev', IFACE, hook], { netns });
      for (const f of filters) found.filters.push(`${netns}/${IFACE} ${hook}: ${JSON.stringify(f)}`);
    }
    const qdiscs = await runJson(anyObject, 'tc', ['-j', 'qdisc', 'show', 'dev', IFACE], { netns });
    for (const q of qdiscs) {
      if (q.kind === 'clsact' || q.handle === FQ_HANDLE || q.kind === 'fq')
        found.qdiscs.push(`${netns}/${IFACE}: ${String(q.kind)} ${String(q.handle)}`);
    }
  }
  for (const id of faultIds) if (existsSync(join(PIN_ROOT, id))) found.pins.push(join(PIN_ROOT, id));
  return found;
}

export const CLEAN: Leftovers = { programs: [], filters: [], qdiscs: [], pins: [] };
