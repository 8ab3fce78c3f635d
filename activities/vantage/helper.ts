// The measuring helper: started once inside a network namespace
// (`nsenter --net=<path> node helper.ts <idle ms>`: only the network
// namespace is entered, so everything it needs comes from the node's
// filesystem), it takes one task per line on stdin and answers each with
// one line on stdout, tagged with the task's id. It exits when stdin closes
// (its agent is gone) or after the idle time with nothing to do.
// Node built-ins, zod and pure modules only.
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { taskSchema } from './task.ts';
import { sampleTcp } from './tcp.ts';
import { measureRuns, warmUp } from './loopback.ts';

const idleMs = Number(process.argv[2] ?? 60_000);
const lineSchema = z.object({ id: z.number(), task: taskSchema });

let busy = 0;
let idle: NodeJS.Timeout | undefined;
const restartIdle = () => {
  clearTimeout(idle);
  if (busy === 0) idle = setTimeout(() => process.exit(0), idleMs);
};

async function perform(task: z.infer<typeof taskSchema>): Promise<unknown> {
  if (task.kind === 'dns') return { runs: await measureRuns(task.runs) };
  return { samples: await sampleTcp(task.plan) };
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const parsed = lineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) {
      process.stdout.write(`${JSON.stringify({ id: -1, ok: false, error: z.prettifyError(parsed.error) })}\n`);
      return;
    }
    const { id, task } = parsed.data;
    busy++;
    clearTimeout(idle);
    void perform(task)
      .then(
        (result) => ({ id, ok: true, result }),
        (err: unknown) => ({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      )
      .then((answer) => {
        process.stdout.write(`${JSON.stringify(answer)}\n`);
        busy--;
        restartIdle();
      });
  })
  .on('close', () => process.exit(0));

await warmUp();
process.stdout.write(`${JSON.stringify({ id: 0, ok: true, result: 'ready' })}\n`);
restartIdle();
