// The measurement helpers' compile cache: code read from it runs in every
// helper (as root on a node), so only a directory no one else can write is
// used; anything else starts the helper cold.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { privateDir } from '../../activities/vantage/index.ts';

const root = mkdtempSync(join(tmpdir(), 'nightshift-netns-cache-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a new directory is made private and used', () => {
  const dir = join(root, 'new');
  expect(privateDir(dir)).toBe(dir);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
});

test('an existing private directory is used again', () => {
  const dir = join(root, 'again');
  mkdirSync(dir, { mode: 0o700 });
  expect(privateDir(dir)).toBe(dir);
});

test('a directory others can write is not used', () => {
  const dir = join(root, 'open');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  expect(privateDir(dir)).toBeUndefined();
  chmodSync(dir, 0o775);
  expect(privateDir(dir)).toBeUndefined();
});

test('a symlink in its place is not followed', () => {
  const target = join(root, 'elsewhere');
  mkdirSync(target, { mode: 0o700 });
  const link = join(root, 'link');
  symlinkSync(target, link);
  expect(privateDir(link)).toBeUndefined();
});

test('a path that cannot be made is no cache, not an error', () => {
  expect(privateDir(join(root, 'missing', 'parent'))).toBeUndefined();
});
