// Ethernet frames for BPF_PROG_TEST_RUN: IPv4/IPv6 with TCP, UDP or ICMP.
import { isIPv4, isIPv6 } from 'node:net';

export interface PacketSpec {
  src: string;
  dst: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  srcPort?: number;
  dstPort?: number;
  payload?: number;
}

function v4Bytes(addr: string): number[] {
  return addr.split('.').map(Number);
}

function v6Bytes(addr: string): number[] {
  const [head = '', tail = ''] = addr.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = addr.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function l4(spec: PacketSpec, v6: boolean): number[] {
  const body = Array<number>(spec.payload ?? 16).fill(0x61);
  const ports = [spec.srcPort ?? 40000, spec.dstPort ?? 80].flatMap((p) => [p >> 8, p & 0xff]);
  if (spec.protocol === 'udp') {
    const len = 8 + body.length;
    return [...ports, len >> 8, len & 0xff, 0, 0, ...body];
  }
  if (spec.protocol === 'tcp') {
    return [...ports, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, ...body];
  }
  return [v6 ? 128 : 8, 0, 0, 0, 0, 1, 0, 1, ...body];
}

export function buildPacket(spec: PacketSpec): Uint8Array {
  const v6 = isIPv6(spec.dst);
  if (!v6 && !isIPv4(spec.dst)) throw new Error(`not an IP address: ${spec.dst}`);
  const proto = { tcp: 6, udp: 17, icmp: v6 ? 58 : 1 }[spec.protocol];
  const payload = l4(spec, v6);
  const eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...(v6 ? [0x86, 0xdd] : [0x08, 0x00])];
  const ip = v6
    ? [0x60, 0, 0, 0, payload.length >> 8, payload.length & 0xff, proto, 64, ...v6Bytes(spec.src), ...v6Bytes(spec.dst)]
    : [
        0x45,
        0,
        (20 + payload.length) >> 8,
        (20 + payload.length) & 0xff,
        0,
        0,
        0x40,
        0,
        64,
        proto,
        0,
        0,
        ...v4Bytes(spec.src),
        ...v4Bytes(spec.dst),
      ];
  return Uint8Array.from([...eth, ...ip, ...payload]);
}
