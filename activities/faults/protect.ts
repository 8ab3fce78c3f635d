// The node's control plane stays reachable whatever a fault says: the agent
// hands the kernel program the addresses and ports of its API server, etcd,
// Temporal frontend and cluster DNS (and any it was configured with), and the
// program never matches them. The port matters: a host that serves the API
// server may serve other things (a gateway, a node's own pods' probes), and
// those stay a fault's to drop. A spec may touch one only by naming its exact address
// in match.peers, and only when its requester holds PROTECTED_PEERS_ROLE.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorType, failure, PROTECTED_PEERS_ROLE } from '../../model/index.ts';
import type { FaultMatch, ProtectedPeer } from '../../model/index.ts';

/** A textual address in one canonical form, so "fd00:0::1" and "fd00::1" compare equal. */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** The host of "host", "host:port", "[v6]:port" or a URL. */
export function hostOf(endpoint: string): string {
  const text = endpoint.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return new URL(text).hostname.replace(/^\[|\]$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1]) return bracketed[1];
  if (isIP(text) === 6) return text;
  return text.replace(/:\d+$/, '');
}

const SCHEME_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** The port of "host:port", "[v6]:port" or a URL (its scheme's when it names none); undefined when none is given. */
export function portOf(endpoint: string): number | undefined {
  const text = endpoint.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const url = new URL(text);
    return url.port ? Number(url.port) : SCHEME_PORTS[url.protocol];
  }
  if (isIP(text) === 6) return undefined;
  const port = /:(\d+)$/.exec(text)?.[1];
  return port ? Number(port) : undefined;
}

/** Every address a host name stands for (an address stands for itself); none when it does not resolve. */
export async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [canonicalAddress(host)];
  const found = await lookup(host, { all: true }).catch(() => []);
  return found.map((a) => canonicalAddress(a.address));
}

/**
 * Protected peers from named endpoints, resolved to addresses and ports,
 * without duplicates. `defaultPort` is the port of an endpoint that names
 * none (cluster DNS: 53); with neither, every port of the address is kept.
 */
export async function resolveProtected(
  endpoints: { what: string; endpoint: string; defaultPort?: number }[],
): Promise<ProtectedPeer[]> {
  const out = new Map<string, ProtectedPeer>();
  for (const { what, endpoint, defaultPort } of endpoints) {
    let host: string;
    let port: number | undefined;
    try {
      host = hostOf(endpoint);
      port = portOf(endpoint) ?? defaultPort;
    } catch {
      continue;
    }
    for (const address of await addressesOf(host)) {
      const key = `${address},${port ?? ''}`;
      if (!out.has(key)) out.set(key, { what, address, ...(port ? { port } : {}) });
    }
  }
  return [...out.values()];
}

/** A protected peer as the kernel program is given it: "address" or "address,port". */
export function keepEntry(peer: Pick<ProtectedPeer, 'address' | 'port'>): string {
  return `${peer.address}${peer.port ? `,${peer.port}` : ''}`;
}

function exactPrefix(cidr: string): string | undefined {
  const [address = '', length] = cidr.split('/');
  const family = isIP(address);
  if ((family === 4 && length === '32') || (family === 6 && length === '128')) return canonicalAddress(address);
  return undefined;
}

/**
 * The protected peers the kernel must keep out of this match. A peer named by
 * its exact address in match.peers is left to the fault when the requester may
 * touch protected peers, and refused (Forbidden) when not.
 */
export function keptPeers(match: FaultMatch, peers: ProtectedPeer[], allowProtected: boolean): ProtectedPeer[] {
  const named = new Set(match.peers.flatMap((cidr) => exactPrefix(cidr) ?? []));
  const touched = peers.filter((p) => named.has(canonicalAddress(p.address)));
  if (touched.length > 0 && !allowProtected) {
    const list = touched.map((p) => `${p.what} (${p.address})`).join(', ');
    throw failure(
      ErrorType.Forbidden,
      `match.peers names ${list}, which this node protects; a fault may touch a protected peer only when ` +
        `its requester has the ${PROTECTED_PEERS_ROLE} role. Nothing was attached.`,
    );
  }
  return peers.filter((p) => !touched.includes(p));
}
