// The crash matrix, all of it: every process of nightshift (control worker,
// node agent, gateway, Temporal dev server) SIGKILLed at every step of a
// traffic-vanish-like run (gather, the decision, the fix, the route patch,
// verify) and of a fault's life (injecting, holding, reverting), started
// again, and the run finished. Prints one row per cell and the totals: runs
// lost, side effects done twice, kernel objects left behind (goal: 0, 0, 0),
// and how long each took from the kill to the end of the run.
// It lives in bench/ beside the other figures a person reruns by hand: it
// drives the same harness as test/crash/matrix.test.ts (which runs a
// reduced matrix in every `npm test`) and needs root, like the fault tests.
//   node bench/crash-matrix.ts [--only <substring>] [--json]
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'boolean', default: false } } });
// The bed starts (and kills) its own dev server, and points the test helpers at it.
const { CrashBed, allCells, cellName, table } = await import('../test/crash/matrix.ts');

const cells = allCells().filter((c) => !values.only || cellName(c).includes(values.only));
const bed = await new CrashBed().start();
const results = [];
try {
  for (const cell of cells) {
    // A cell that cannot be driven to its end is a finding too, not the end of the matrix.
    const result = await bed.run(cell).catch((err: unknown) => ({
      cell: cellName(cell),
      observed: 'error',
      lost: 1,
      duplicated: 0,
      leftBehind: 0,
      notes: [`the cell failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`],
      recoveredMs: 0,
    }));
    results.push(result);
    process.stderr.write(
      `${result.cell}: lost ${result.lost}, duplicated ${result.duplicated}, left ${result.leftBehind}\n`,
    );
  }
} finally {
  await bed.stop();
}
process.stdout.write(values.json ? `${JSON.stringify(results, null, 2)}\n` : `${table(results)}\n`);
