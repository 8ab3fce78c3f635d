// The skip gate's reading of jest's results: a skip counts as allowed only
// when its name gives a reason that names a feature this machine lacks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SkipGate, { readAllowList, skipsOf } from '../setup/skip-gate.ts';

const results = (tests: { title: string; ancestorTitles?: string[]; status: string }[]) => ({
  testResults: [
    {
      testFilePath: '/repo/test/faults/delay.test.ts',
      testResults: tests.map((t) => ({ ancestorTitles: [], ...t })),
    },
  ],
});

test('the allow-list is one feature a line, comments dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-skip-gate-'));
  writeFileSync(join(dir, 'allow'), '# header\nsch_fq   # no fq qdisc\n\n');
  expect(readAllowList(join(dir, 'allow'))).toEqual(['sch_fq']);
});

test('a skip is allowed only with a reason naming an allowed feature, on the test or a describe around it', () => {
  const skips = skipsOf(
    results([
      { title: 'latency (skipped: this kernel has no sch_fq)', status: 'pending' },
      { title: 'inner', ancestorTitles: ['suite (skipped: needs root for BPF)'], status: 'pending' },
      { title: 'quiet', status: 'pending' },
      { title: 'ran', status: 'passed' },
    ]),
    '/repo',
    ['sch_fq'],
  );
  expect(skips).toEqual([
    {
      file: 'test/faults/delay.test.ts',
      name: 'latency (skipped: this kernel has no sch_fq)',
      reason: 'this kernel has no sch_fq',
      feature: 'sch_fq',
    },
    {
      file: 'test/faults/delay.test.ts',
      name: 'suite (skipped: needs root for BPF) › inner',
      reason: 'needs root for BPF',
    },
    { file: 'test/faults/delay.test.ts', name: 'quiet' },
  ]);
});

test('with the gate on, a skip this machine could run fails the run; with it off, it is only reported', () => {
  const gate = new SkipGate({ rootDir: '/repo' });
  const before = process.env.NIGHTSHIFT_SKIP_GATE;
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    process.env.NIGHTSHIFT_SKIP_GATE = '1';
    gate.onRunComplete(undefined, results([{ title: 'quiet', status: 'pending' }]));
    expect(gate.getLastError()?.message).toMatch(/1 test\(s\) skipped that this machine should run/);
    const off = new SkipGate({ rootDir: '/repo' });
    delete process.env.NIGHTSHIFT_SKIP_GATE;
    off.onRunComplete(undefined, results([{ title: 'quiet', status: 'pending' }]));
    expect(off.getLastError()).toBeUndefined();
  } finally {
    process.stderr.write = write;
    if (before === undefined) delete process.env.NIGHTSHIFT_SKIP_GATE;
    else process.env.NIGHTSHIFT_SKIP_GATE = before;
  }
});
