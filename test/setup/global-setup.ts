// One Temporal dev server for the whole test run (in memory, its own port);
// test files connect to it with createFromExistingServer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../worker/devserver.ts';

declare global {
  var __NIGHTSHIFT_TEMPORAL__: DevServer | undefined;
  var __NIGHTSHIFT_TEST_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-test-'));
  globalThis.__NIGHTSHIFT_TEST_DIR__ = dir; // removed by global-teardown
  // What tests write without naming a place (reports, policy history) stays out of the checkout.
  process.env.NIGHTSHIFT_DATA_DIR ??= join(dir, 'data');
  if (process.env.NIGHTSHIFT_TEST_TEMPORAL) return; // an existing server was given
  const port = 17233 + Math.floor(Math.random() * 500);
  const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port, headless: true });
  globalThis.__NIGHTSHIFT_TEMPORAL__ = server;
  process.env.NIGHTSHIFT_TEST_TEMPORAL = server.address;
}
