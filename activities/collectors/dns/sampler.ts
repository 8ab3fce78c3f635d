// Times DNS lookups over UDP, one packet per query and no retries, so every
// lost packet shows as a timeout (a pod's resolver would stall 5 s on it and
// retry). Runs in whatever network namespace its process is in.
import { createSocket } from 'node:dgram';
import { decodeHeader, encodeQuery, type QType } from './wire.ts';

export interface DnsPlan {
  servers: string[];
  names: string[];
  /** Queries per server, cycling through the names. */
  samples: number;
  timeoutMs: number;
  concurrency: number;
  type?: QType;
}

export interface DnsSample {
  server: string;
  name: string;
  /** Milliseconds to the answer; the timeout when there was none. */
  ms: number;
  outcome: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'ERROR' | string;
  answers?: number;
  error?: string;
}

/** "10.96.0.10", "127.0.0.1:5353", "[fd00::10]:53" or "fd00::10" → address and port. */
export function splitServer(server: string): { address: string; port: number } {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(server);
  if (bracketed) return { address: bracketed[1] as string, port: Number(bracketed[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(server);
  if (v4) return { address: v4[1] as string, port: Number(v4[2]) };
  return { address: server.replace(/^\[|\]$/g, ''), port: 53 };
}

function once(server: string, name: string, type: QType, timeoutMs: number, id: number): Promise<DnsSample> {
  return new Promise((resolve) => {
    const { address, port } = splitServer(server);
    const family = address.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    let settled = false;
    const settle = (sample: Omit<DnsSample, 'server' | 'name'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve({ server, name, ...sample });
    };
    const timer = setTimeout(() => settle({ ms: timeoutMs, outcome: 'TIMEOUT' }), timeoutMs);
    socket.on('message', (message) => {
      const header = decodeHeader(message);
      if (!header || header.id !== id) return; // not ours; keep waiting
      settle({ ms: Math.round(elapsed() * 1000) / 1000, outcome: header.rcode, answers: header.answers });
    });
    socket.on('error', (err) => settle({ ms: elapsed(), outcome: 'ERROR', error: err.message }));
    socket.send(encodeQuery(id, name, type), port, address, (err) => {
      if (err) settle({ ms: elapsed(), outcome: 'ERROR', error: err.message });
    });
  });
}

/** Every planned query, `concurrency` at a time per server; results in plan order. */
export async function sampleDns(plan: DnsPlan): Promise<DnsSample[]> {
  const jobs = plan.servers.flatMap((server) =>
    Array.from({ length: plan.samples }, (_, i) => ({ server, name: plan.names[i % plan.names.length] as string })),
  );
  const results: DnsSample[] = new Array(jobs.length);
  let next = 0;
  let id = Math.floor(Math.random() * 0xffff);
  const lanes = Math.max(1, plan.concurrency) * Math.max(1, plan.servers.length);
  await Promise.all(
    Array.from({ length: Math.min(lanes, jobs.length) }, async () => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index] as { server: string; name: string };
        id = (id + 1) & 0xffff;
        results[index] = await once(job.server, job.name, plan.type ?? 'A', plan.timeoutMs, id);
      }
    }),
  );
  return results;
}
