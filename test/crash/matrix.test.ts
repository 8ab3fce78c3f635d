// A reduced crash matrix on every test run (the whole one is
// bench/crash-matrix.ts): each cell SIGKILLs one process at one step of a
// traffic-vanish-like run or of a fault's life, starts it again, and finishes
// the run. Nothing may be lost, nothing done twice, nothing left in the kernel.
import { CrashBed, cellName, type Cell } from './matrix.ts';

const CELLS: Cell[] = [
  { proc: 'worker', life: 'run', step: 'fix' },
  { proc: 'gateway', life: 'run', step: 'choose' },
  { proc: 'temporal', life: 'run', step: 'shift' },
  { proc: 'agent', life: 'fault', step: 'holding' },
  { proc: 'worker', life: 'fault', step: 'reverting' },
  { proc: 'temporal', life: 'fault', step: 'injecting' },
];

describe('crash matrix (reduced)', () => {
  let bed: CrashBed;

  beforeAll(async () => {
    bed = await new CrashBed().start();
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
  }, 60_000);

  test.each(CELLS.map((cell) => [cellName(cell), cell] as const))(
    'SIGKILL %s: no run lost, no side effect twice, nothing left in the kernel',
    async (_name, cell) => {
      const result = await bed.run(cell);
      process.stderr.write(
        `  ${result.cell}: killed while ${result.observed}; ${result.notes.join('; ') || 'clean'}\n`,
      );
      expect({
        lost: result.lost,
        duplicated: result.duplicated,
        leftBehind: result.leftBehind,
        notes: result.notes,
      }).toEqual({ lost: 0, duplicated: 0, leftBehind: 0, notes: [] });
    },
    420_000,
  );
});
