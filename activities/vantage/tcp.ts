// Times TCP connects. A refused connection still proves the path works (the
// peer's RST came back) and its time is a round trip; only a timeout or an
// unreachable error counts as loss.
import { Socket } from 'node:net';
import type { ConnectPlan, TcpSample } from '../../model/index.ts';

/**
 * A connect plan; `endBy` stops starting attempts that could not finish by
 * then (fewer samples, never none, and a helper started late on a busy
 * machine still answers in time).
 */
export type TcpPlan = Omit<ConnectPlan, 'endBy'> & { endBy?: number };

function connectOnce(name: string, host: string, port: number, timeoutMs: number): Promise<TcpSample> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const started = process.hrtime.bigint();
    const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3;
    let done = false;
    const finish = (outcome: TcpSample['outcome'], error?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ target: name, ms: outcome === 'timeout' ? timeoutMs : ms(), outcome, ...(error ? { error } : {}) });
    };
    socket.setTimeout(timeoutMs, () => finish('timeout'));
    socket.once('connect', () => finish('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish('refused');
      else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') finish('unreachable', err.code);
      else finish('error', err.code ?? err.message);
    });
    socket.connect({ host, port });
  });
}

/** Every target in parallel, its attempts one after another. */
export async function sampleTcp(plan: TcpPlan): Promise<TcpSample[]> {
  const perTarget = await Promise.all(
    plan.targets.map(async (t) => {
      const samples: TcpSample[] = [];
      for (let i = 0; i < plan.attempts; i++) {
        if (i > 0 && plan.endBy !== undefined && Date.now() + plan.timeoutMs > plan.endBy) break;
        samples.push(await connectOnce(t.name, t.host, t.port, plan.timeoutMs));
        if (i + 1 < plan.attempts && plan.intervalMs > 0) await new Promise((r) => setTimeout(r, plan.intervalMs));
      }
      return samples;
    }),
  );
  return perTarget.flat();
}
