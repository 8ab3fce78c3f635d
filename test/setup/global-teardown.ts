export default async function globalTeardown(): Promise<void> {
  await globalThis.__NIGHTSHIFT_TEMPORAL__?.stop();
}
