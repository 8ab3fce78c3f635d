// One Temporal dev server for the whole test run (in memory, its own port);
// test files connect to it with createFromExistingServer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../worker/devserver.ts';

declare global {
  var __NIGHTSHIFT_TEMPORAL__: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.NIGHTSHIFT_TEST_TEMPORAL) return; // an existing server was given
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-test-'));
  const port = 17233 + Math.floor(Math.random() * 500);
  const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), port, headless: true });
  globalThis.__NIGHTSHIFT_TEMPORAL__ = server;
  process.env.NIGHTSHIFT_TEST_TEMPORAL = server.address;
}
