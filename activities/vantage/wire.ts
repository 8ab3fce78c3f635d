// Just enough of the DNS wire format (RFC 1035) to time lookups: build an
// A/AAAA query, read a response's id, flags, rcode and answer count.

export const RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

export const QTYPES = { A: 1, AAAA: 28, SRV: 33, TXT: 16 } as const;
export type QType = keyof typeof QTYPES;

export function encodeQuery(id: number, name: string, type: QType = 'A'): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD: recursion desired
  header.writeUInt16BE(1, 4); // QDCOUNT
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`DNS label too long: ${label}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt8(0, 0);
  tail.writeUInt16BE(QTYPES[type], 1);
  tail.writeUInt16BE(1, 3); // class IN
  parts.push(tail);
  return Buffer.concat(parts);
}

export interface ResponseHeader {
  id: number;
  rcode: string;
  truncated: boolean;
  answers: number;
}

export function decodeHeader(message: Buffer): ResponseHeader | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return undefined; // not a response
  const code = flags & 0x000f;
  return {
    id: message.readUInt16BE(0),
    rcode: RCODES[code] ?? `RCODE${code}`,
    truncated: (flags & 0x0200) !== 0,
    answers: message.readUInt16BE(6),
  };
}
