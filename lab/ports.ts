// Loopback ports for servers that the lab's tests and benchmarks start
// (Temporal, its UI, throw-away etcd, CoreDNS and API servers). They come
// from below the kernel's ephemeral range. listen(0) hands out an ephemeral
// port, and between closing it and the server binding it again, an outgoing
// connection may take it as its own local port. A lab makes about a
// thousand connections a second, and Temporal's UI once failed to bind for
// exactly that reason.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FLOOR = 20_000;
const EPHEMERAL_DEFAULT = 32_768;
const given = new Set<number>();

/** First port of the kernel's ephemeral range (or Linux's default, if it starts too low to avoid). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > FLOOR + 1000 ? low : EPHEMERAL_DEFAULT;
  } catch {
    return EPHEMERAL_DEFAULT;
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** A port nothing listens on at `host`, below the ephemeral range, not handed out before by this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const top = ephemeralStart();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = FLOOR + Math.floor(Math.random() * (top - FLOOR));
    if (given.has(port)) continue;
    given.add(port); // before the check, so concurrent callers never get the same port
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port on ${host} between ${FLOOR} and ${top - 1}`);
}
