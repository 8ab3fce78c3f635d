// What /proc tells about other processes' network namespaces without
// entering any: which namespace a process is in (the inode behind
// /proc/<pid>/ns/net), and which addresses that namespace holds
// (/proc/<pid>/net/fib_trie for IPv4, /proc/<pid>/net/if_inet6 for IPv6,
// both read as the process's own namespace sees them).
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The namespace inode a /proc/<pid>/ns/<kind> link names ("net:[4026532281]"), or undefined. */
export async function nsInode(proc: string, pid: number | 'self', kind: 'net' | 'mnt'): Promise<number | undefined> {
  const link = await readlink(`${proc}/${pid}/ns/${kind}`).catch(() => undefined);
  const match = link ? /\[(\d+)\]$/.exec(link) : null;
  return match ? Number(match[1]) : undefined;
}

/** Every process id under /proc. */
export async function pids(proc: string): Promise<number[]> {
  const entries = await readdir(proc);
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** The local IPv4 addresses in a fib_trie dump: keys followed by a "/32 host LOCAL" line. */
export function fibLocalAddresses(text: string): string[] {
  const found: string[] = [];
  let key: string | undefined;
  for (const line of text.split('\n')) {
    const leaf = /\|--\s+(\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (leaf) key = leaf[1];
    else if (key && /^\s*\/32 host LOCAL/.test(line)) found.push(key);
  }
  return [...new Set(found)];
}

/** The addresses in an if_inet6 dump (32 hex digits each), written the way URL normalises them. */
export function inet6Addresses(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((hex) => /^[0-9a-f]{32}$/i.test(hex))
    .map((hex) => normaliseIp((hex.match(/.{4}/g) ?? []).join(':')));
}

export function normaliseIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip.replace(/^\[|\]$/g, '')}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return ip.toLowerCase();
  }
}

/** Whether the network namespace `pid` is in holds `ip` as a local address. */
export async function holdsAddress(proc: string, pid: number, ip: string): Promise<boolean> {
  const v6 = ip.includes(':');
  const text = await readFile(`${proc}/${pid}/net/${v6 ? 'if_inet6' : 'fib_trie'}`, 'utf8').catch(() => '');
  return v6 ? inet6Addresses(text).includes(normaliseIp(ip)) : fibLocalAddresses(text).includes(ip);
}
