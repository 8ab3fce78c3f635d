// Whether an IP address falls inside a CIDR, for IPv4 and IPv6.
import { isIP } from 'node:net';

function toBigInt(ip: string): { value: bigint; bits: number } | undefined {
  const version = isIP(ip);
  if (version === 4) {
    const value = ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { value, bits: 32 };
  }
  if (version === 6) {
    const [head = '', tail] = ip.split('::');
    const groups = (text: string) => (text ? text.split(':') : []);
    const h = groups(head);
    const t = tail === undefined ? [] : groups(tail);
    const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (all.some((g) => g.includes('.'))) return undefined; // embedded IPv4: not needed here
    return { value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n), bits: 128 };
  }
  return undefined;
}

export function isAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** Whether `cidr` is a valid "address/prefix" (a bare address counts as a host route). */
export function isCidr(cidr: string): boolean {
  const [address = '', prefix] = cidr.split('/');
  const parsed = toBigInt(address);
  return parsed !== undefined && (prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= parsed.bits));
}

export function inCidr(ip: string, cidr: string): boolean {
  const [network = '', prefixText] = cidr.split('/');
  const a = toBigInt(ip);
  const n = toBigInt(network);
  if (!a || !n || a.bits !== n.bits) return false;
  const prefix = prefixText === undefined ? n.bits : Number(prefixText);
  const shift = BigInt(n.bits - prefix);
  return a.value >> shift === n.value >> shift;
}
