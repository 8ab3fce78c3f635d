// `lab down`: undo everything the lab made, from its state file and, for
// whatever a crash kept out of it (or a lab started from another data dir),
// by sweeping for the lab's names: processes (recorded, marked, or inside lab
// namespaces), pod and lab network namespaces, host links, BPF pins,
// /etc/netns files, the lab dir.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_ROOT_ENV } from './component.ts';
import { diverted, removeDiversion } from './dns-delay/nft.ts';
import { BPF_PIN_ROOT, labPaths, netnsEtcDir } from './paths.ts';
import { stopAll, procStat } from './procs.ts';
import { run } from './sh.ts';
import { readLedger, RESOLV_MARKER } from './simulator/index.ts';
import { readState, type LabState } from './state.ts';
import { HOST_LINK_PREFIX, NETNS_PREFIX } from './topology.ts';

export interface DownReport {
  wasUp: boolean;
  processes: number;
  netns: string[];
  links: string[];
  pins: boolean;
  /** The DNS delay's nftables table was still there (its process died without taking it away). */
  dnsDiverted: boolean;
  unmounted: string[];
  seconds: number;
}

async function listNetns(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']).catch(() => '');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Namespaces whose resolv.conf the simulator wrote: pods, even when its ledger is gone. */
function markedPodNetns(): string[] {
  if (!existsSync('/etc/netns')) return [];
  return readdirSync('/etc/netns').filter((name) => {
    try {
      return readFileSync(join(netnsEtcDir(name), 'resolv.conf'), 'utf8').startsWith(RESOLV_MARKER);
    } catch {
      return false;
    }
  });
}

async function netnsPids(netns: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', netns]).catch(() => '');
  return out
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0);
}

/**
 * Processes carrying a lab marker in their environment, with the lab dir it
 * names. There is one lab per machine (its names and addresses are fixed), so
 * this finds it whichever data dir it was started from.
 */
export function markedProcesses(): Array<{ pid: number; root: string }> {
  const prefix = `${LAB_ROOT_ENV}=`;
  const found: Array<{ pid: number; root: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      const marker = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((v) => v.startsWith(prefix));
      if (marker) found.push({ pid, root: marker.slice(prefix.length) });
    } catch {
      // gone, or a kernel thread
    }
  }
  return found;
}

function withStart(pids: number[]): Array<{ pid: number; startTime: number }> {
  return pids.flatMap((pid) => {
    const stat = procStat(pid);
    return stat ? [{ pid, startTime: stat.startTime }] : [];
  });
}

async function hostLinks(): Promise<string[]> {
  const out = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  return out
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(HOST_LINK_PREFIX));
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === path);
}

export async function labDown(dataDir: string): Promise<DownReport> {
  const started = Date.now();
  const paths = labPaths(dataDir);
  let state: LabState | undefined;
  try {
    state = readState(paths.state);
  } catch {
    state = undefined; // unreadable: sweep by name
  }
  // Services first (the node simulator among them), so nothing starts a new pod
  // while the pods are swept: every process recorded or carrying the lab marker
  // gets SIGTERM and a short grace period.
  const dedupe = <T extends { pid: number; startTime: number }>(list: T[]) => [
    ...new Map(list.map((p) => [`${p.pid}/${p.startTime}`, p])).values(),
  ];
  const marked = markedProcesses();
  const services = dedupe([...(state?.processes ?? []), ...withStart(marked.map((m) => m.pid))]);
  const servicePids = new Set(services.map((p) => p.pid));
  // Nothing the lab runs needs a graceful stop when its data goes too: etcd and the
  // API server would take seconds to drain, so they get one second.
  await stopAll(services, 1000);

  // Then pods and whatever else runs inside a lab namespace: SIGKILL.
  const ledger = readLedger(paths.pods);
  const allNetns = await listNetns();
  const netns = [
    ...new Set([
      ...ledger.map((pod) => pod.netns),
      ...markedPodNetns(),
      ...(state?.netns ?? []),
      ...allNetns.filter((name) => name.startsWith(NETNS_PREFIX)),
    ]),
  ].filter((name) => allNetns.includes(name) || existsSync(netnsEtcDir(name)));
  const inNetns = (await Promise.all(netns.map(netnsPids))).flat();
  const pods = dedupe([...ledger.flatMap((pod) => pod.processes), ...withStart(inNetns)]).filter(
    (p) => !servicePids.has(p.pid),
  );
  await stopAll(pods, 0);
  // Anything the dying simulator started meanwhile still carries the marker: one last sweep.
  const late = dedupe(withStart(markedProcesses().map((m) => m.pid)));
  await stopAll(late, 0);
  const unique = dedupe([...services, ...pods, ...late]);

  for (const name of netns) {
    if (allNetns.includes(name)) await run('ip', ['netns', 'del', name]).catch(() => undefined);
    rmSync(netnsEtcDir(name), { recursive: true, force: true });
  }
  const links = [...new Set([...(state?.links ?? []), ...(await hostLinks())])];
  const present = await hostLinks();
  for (const link of links.filter((l) => present.includes(l))) {
    await run('ip', ['link', 'del', link]).catch(() => undefined);
  }

  // The DNS delay takes its diversion away as it stops; one that died could not.
  const dnsDiverted = await diverted();
  await removeDiversion().catch(() => undefined);

  const pins = existsSync(BPF_PIN_ROOT);
  rmSync(BPF_PIN_ROOT, { recursive: true, force: true });
  const unmounted: string[] = [];
  for (const mount of state?.mounts ?? []) {
    // The kernel's own preloaded iterators (maps.debug, progs.debug) do not count as someone's pins.
    if (isMounted(mount) && readdirSync(mount).every((name) => name.endsWith('.debug'))) {
      await run('umount', [mount]).catch(() => undefined);
      unmounted.push(mount);
    }
  }
  // The lab dir, and that of a lab started from another data dir (named by its processes' marker).
  for (const root of new Set([paths.root, ...marked.map((m) => m.root)])) {
    if (root.endsWith('/lab')) rmSync(root, { recursive: true, force: true });
  }
  return {
    wasUp: state !== undefined,
    processes: unique.length,
    netns,
    links: links.filter((l) => present.includes(l)),
    pins,
    dnsDiverted,
    unmounted,
    seconds: (Date.now() - started) / 1000,
  };
}
