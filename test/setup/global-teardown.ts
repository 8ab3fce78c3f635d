import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__NIGHTSHIFT_TEMPORAL__?.stop();
  // What the run wrote without naming a place (reports, policy history) and the dev server's database.
  if (globalThis.__NIGHTSHIFT_TEST_DIR__) rmSync(globalThis.__NIGHTSHIFT_TEST_DIR__, { recursive: true, force: true });
}
