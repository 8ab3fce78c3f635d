// The kept workflow bundle (worker/workflow-bundle.ts): bundled once, read
// back while nothing it was made from changes, bundled again after any change,
// and a worker still starts where the cache cannot be written. Real webpack
// bundling of a two-file workflow module, no server.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from '@jest/globals';
import { workflowBundleFor } from '../../worker/workflow-bundle.ts';

// Outside node_modules (webpack would not compile TypeScript there), with the checkout's
// node_modules beside it so '@temporalio/workflow' resolves.
const dir = mkdtempSync(join(tmpdir(), 'nightshift-bundle-'));
symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(dir, 'node_modules'));
const entry = join(dir, 'workflows.ts');
const part = join(dir, 'part.ts');
const cacheDir = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  entry,
  "import { sleep } from '@temporalio/workflow';\nimport { marker } from './part.ts';\n" +
    'export async function greet(): Promise<string> {\n  await sleep(1);\n  return marker;\n}\n',
);
const writePart = (marker: string) => writeFileSync(part, `export const marker = '${marker}';\n`);

test('bundled once, read back unchanged, bundled again when a file it read changes', async () => {
  writePart('MARKER-ONE');
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const first = await workflowBundleFor(entry, { cacheDir, log });
  expect(first.from).toBe('made');
  expect(first.stale).toBeUndefined();
  expect(first.bundle.code).toContain('MARKER-ONE');

  const again = await workflowBundleFor(entry, { cacheDir, log });
  expect(again.from).toBe('kept');
  expect(again.bundle.code).toBe(first.bundle.code);

  writePart('MARKER-TWO');
  const changed = await workflowBundleFor(entry, { cacheDir, log });
  expect(changed.from).toBe('made');
  expect(changed.stale).toBe(`${part} changed since it was made`);
  expect(changed.bundle.code).toContain('MARKER-TWO');
  expect(changed.bundle.code).not.toContain('MARKER-ONE');
  expect((await workflowBundleFor(entry, { cacheDir, log })).from).toBe('kept');
  expect(lines).toEqual([]);
}, 120_000);

test('where the cache cannot be written the bundle is made each time, and says so', async () => {
  writePart('MARKER-THREE');
  const blocked = join(dir, 'blocked');
  writeFileSync(blocked, 'a file where the cache directory would be\n');
  const lines: string[] = [];
  const made = await workflowBundleFor(entry, { cacheDir: blocked, log: (l) => lines.push(l) });
  expect(made.from).toBe('made');
  expect(made.bundle.code).toContain('MARKER-THREE');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^workflow bundle not kept \(.*\); the next worker bundles again$/);
  expect((await workflowBundleFor(entry, { cacheDir: blocked, log: () => undefined })).from).toBe('made');
}, 120_000);
