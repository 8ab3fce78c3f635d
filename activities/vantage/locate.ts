// Finding a pod's network namespace on this node the way a node agent can
// on a real node: by the pod's IP, among the namespaces the node's
// processes are in. Nothing the API server says about namespaces is used.
//
// - /run/netns is the fast path: namespaces bound there (CNI plugins and
//   `ip netns` put them there) are checked first, and entered through that
//   path, which outlives any one process;
// - every other namespace is found through /proc/<pid>/ns/net and entered
//   through the same link;
// - a namespace's addresses are read from /proc/<pid>/net of a process in
//   it, so nothing is entered to look;
// - the answer is cached per IP and re-checked before each use (the
//   namespace still exists, is the same inode, and still holds the IP).
//
// The container runtime (CRI socket) is not asked: every runtime's pods are
// processes, and the scan needs no socket access. A namespace that no
// process is in and that is not bound under /run/netns cannot be found.
import { readdir, readFile, stat } from 'node:fs/promises';
import { ErrorType, failure, type NetnsFound } from '../../model/index.ts';
import { holdsAddress, nsInode, pids as listPids } from './procfs.ts';

export interface LocatorOptions {
  /** Where procfs is mounted (the host's, with hostPID). */
  proc?: string;
  /** Where namespaces are bound. */
  runNetns?: string;
}

export interface Located {
  found: NetnsFound;
  /** Processes in the namespace, pod processes (another mount namespace than ours) first. */
  pids: number[];
}

interface Cached {
  inode: number;
  path: string;
}

export class NetnsLocator {
  private readonly proc: string;
  private readonly runNetns: string;
  private readonly cache = new Map<string, Cached>();

  constructor(options: LocatorOptions = {}) {
    this.proc = options.proc ?? '/proc';
    this.runNetns = options.runNetns ?? '/run/netns';
  }

  /** The network namespace on this machine that holds `ip`; a NotFound failure when none does. */
  async locate(ip: string, what = ip): Promise<Located> {
    const byInode = await this.processesByNamespace();
    const cached = this.cache.get(ip);
    if (cached) {
      const pids = byInode.get(cached.inode) ?? [];
      const same = (await stat(cached.path).catch(() => undefined))?.ino === cached.inode;
      if (same && pids.length && (await this.holds(pids, ip))) {
        return { found: { path: cached.path, inode: cached.inode, how: 'cached' }, pids: await this.podFirst(pids) };
      }
      this.cache.delete(ip);
    }
    const bound = await this.boundNamespaces();
    // Bound namespaces first: that is where pods' namespaces usually are.
    const order = [...byInode.keys()].sort((a, b) => Number(bound.has(b)) - Number(bound.has(a)));
    const matches: number[] = [];
    for (const inode of order) if (await this.holds(byInode.get(inode) ?? [], ip)) matches.push(inode);
    if (matches.length === 0) {
      throw failure(
        ErrorType.NotFound,
        `no network namespace on this node holds ${what} (${ip}): looked at ${byInode.size} namespaces of ` +
          `the processes under ${this.proc}, ${bound.size} of them bound under ${this.runNetns}`,
      );
    }
    if (matches.length > 1) {
      throw failure(
        ErrorType.Refused,
        `${matches.length} network namespaces on this node hold ${ip} (${what}): ` +
          `${matches.map((i) => bound.get(i) ?? `net:[${i}]`).join(', ')}; not measuring from an ambiguous place`,
      );
    }
    const inode = matches[0] as number;
    const pids = byInode.get(inode) ?? [];
    const path = bound.get(inode) ?? `${this.proc}/${pids[0]}/ns/net`;
    this.cache.set(ip, { inode, path });
    return {
      found: { path, inode, how: bound.has(inode) ? 'run-netns' : 'proc-scan' },
      pids: await this.podFirst(pids),
    };
  }

  /** Namespace inode → the processes in it. */
  private async processesByNamespace(): Promise<Map<number, number[]>> {
    const byInode = new Map<number, number[]>();
    const all = await listPids(this.proc);
    const inodes = await Promise.all(all.map((pid) => nsInode(this.proc, pid, 'net')));
    all.forEach((pid, i) => {
      const inode = inodes[i];
      if (inode !== undefined) byInode.set(inode, [...(byInode.get(inode) ?? []), pid]);
    });
    return byInode;
  }

  /** Namespace inode → its path under /run/netns. */
  private async boundNamespaces(): Promise<Map<number, string>> {
    const bound = new Map<number, string>();
    const names = await readdir(this.runNetns).catch(() => [] as string[]);
    await Promise.all(
      names.map(async (name) => {
        const path = `${this.runNetns}/${name}`;
        const s = await stat(path).catch(() => undefined);
        if (s) bound.set(s.ino, path);
      }),
    );
    return bound;
  }

  /** Whether the namespace these processes share holds `ip` (asked of the first that answers). */
  private async holds(pids: number[], ip: string): Promise<boolean> {
    for (const pid of pids.slice(0, 3)) if (await holdsAddress(this.proc, pid, ip)) return true;
    return false;
  }

  /** Pod processes first: those in another mount namespace than this agent's. */
  private async podFirst(pids: number[]): Promise<number[]> {
    const own = await nsInode(this.proc, 'self', 'mnt');
    const mnt = await Promise.all(pids.map((pid) => nsInode(this.proc, pid, 'mnt')));
    return pids
      .map((pid, i) => ({ pid, other: mnt[i] !== own }))
      .sort((a, b) => Number(b.other) - Number(a.other))
      .map((p) => p.pid);
  }
}

/**
 * The pod's resolv.conf as its processes see it: /proc/<pid>/root/etc/resolv.conf
 * of the first process that shows one (kubelet's bind mount in a cluster;
 * `ip netns exec`'s /etc/netns/<ns>/resolv.conf in the lab).
 */
export async function podResolvConf(pids: number[], proc = '/proc'): Promise<{ text: string; source: string }> {
  for (const pid of pids) {
    const source = `${proc}/${pid}/root/etc/resolv.conf`;
    const text = await readFile(source, 'utf8').catch(() => undefined);
    if (text !== undefined) return { text, source };
  }
  throw failure(
    ErrorType.NotFound,
    `none of the ${pids.length} process(es) in the pod's network namespace shows an /etc/resolv.conf`,
  );
}
