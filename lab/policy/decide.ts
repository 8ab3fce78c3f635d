// What the datapath does with a new connection's first packet, answered
// from a compiled policy with the same lookups policy.bpf.c makes, so a unit
// test (or an analyser) can check a policy without a kernel.
import { DROP_POLICY, DROP_POLICY_DENY, keyOf, type Compiled, type Endpoint, type PolicyEntry } from './compile.ts';
import { contains, parsePrefix, RESERVED, type Prefix } from './identity.ts';
import { lookupOrder } from './lookup.ts';
import type { Direction } from './rules.ts';

export { lookupOrder };

export interface Packet {
  src: string;
  dst: string;
  protocol: number;
  dport: number;
}

export interface Verdict {
  verdict: 'FORWARDED' | 'DROPPED';
  /** 133 POLICY_DENIED (no allow), 181 POLICY_DENY (a deny rule). */
  dropReason?: number;
  /** Where it was decided: the sending endpoint's egress or the receiving one's ingress. */
  direction?: Direction;
  srcIdentity: number;
  dstIdentity: number;
  entry?: PolicyEntry;
}

/** The identity the ipcache gives an address: the longest prefix, else world. */
export function identityOfIp(compiled: Compiled, ip: string): number {
  const addr = parsePrefix(ip);
  let best: { len: number; id: number } | undefined;
  for (const { prefix, identity } of compiled.ipcache) {
    const p: Prefix = parsePrefix(prefix);
    if (contains(p, addr) && (!best || p.len > best.len)) best = { len: p.len, id: identity };
  }
  return best?.id ?? RESERVED.world;
}

/** What the datapath does with a new connection's first packet (no conntrack entry). */
export function decide(compiled: Compiled, packet: Packet): Verdict {
  const srcIdentity = identityOfIp(compiled, packet.src);
  const dstIdentity = identityOfIp(compiled, packet.dst);
  const index = new Map(compiled.entries.map((e) => [keyOf(e), e]));
  const check = (ep: Endpoint | undefined, direction: Direction, peer: number): Verdict | undefined => {
    if (!ep?.enforce[direction]) return undefined;
    for (const [identity, protocol, port] of lookupOrder(peer, packet.protocol, packet.dport)) {
      const entry = index.get(keyOf({ endpoint: ep.id, direction, identity, protocol, port }));
      if (entry?.deny)
        return { verdict: 'DROPPED', dropReason: DROP_POLICY_DENY, direction, srcIdentity, dstIdentity, entry };
      if (entry) return undefined;
    }
    return { verdict: 'DROPPED', dropReason: DROP_POLICY, direction, srcIdentity, dstIdentity };
  };
  const byIp = (ip: string) => compiled.endpoints.find((e) => e.ips.includes(ip));
  return (
    check(byIp(packet.src), 'egress', dstIdentity) ??
    check(byIp(packet.dst), 'ingress', srcIdentity) ?? { verdict: 'FORWARDED', srcIdentity, dstIdentity }
  );
}
