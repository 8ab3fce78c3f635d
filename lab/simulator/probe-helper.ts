// A node's prober: started once inside a lab node's network namespace
// (`ip netns exec <node> node probe-helper.ts`), it runs the readiness probe
// attempts of that node's pods from there, as a kubelet probes from its own
// node. One attempt per stdin line, one answer per stdout line, tagged with
// the attempt's id. Exits when stdin closes (the simulator is gone).
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { attemptSchema, runAttempt } from './readiness.ts';

const lineSchema = z.object({ id: z.number(), attempt: attemptSchema });

createInterface({ input: process.stdin })
  .on('line', (line) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = lineSchema.safeParse(raw);
    if (!parsed.success) return;
    const { id, attempt } = parsed.data;
    void runAttempt(attempt).then((result) => process.stdout.write(`${JSON.stringify({ id, ...result })}\n`));
  })
  .on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ id: 0, ok: true })}\n`);
