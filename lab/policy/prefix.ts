// IPv4 addresses and prefixes as numbers, for the ipcache's longest-prefix
// match. Light on purpose (zod is its only outside import, through
// schema.ts): the L7 proxy process loads it at every start.
import { PolicyError } from './schema.ts';

/** IPv4 dotted quad to an unsigned 32-bit number; throws naming the bad address. */
export function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new PolicyError(`"${ip}" is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export interface Prefix {
  addr: number;
  len: number;
}

export function parsePrefix(cidr: string): Prefix {
  const [ip = '', lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new PolicyError(`"${cidr}": prefix length is not 0-32`);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return { addr: (ipToNumber(ip) & mask) >>> 0, len };
}

export const formatPrefix = (p: Prefix) => `${[24, 16, 8, 0].map((s) => (p.addr >>> s) & 0xff).join('.')}/${p.len}`;

/** Whether `inner` lies within `outer`. */
export function contains(outer: Prefix, inner: Prefix): boolean {
  if (inner.len < outer.len) return false;
  const mask = outer.len === 0 ? 0 : (~0 << (32 - outer.len)) >>> 0;
  return (inner.addr & mask) >>> 0 === outer.addr;
}
