// One kernel change at a time per agent process: inject, revert and the
// reconciler never see each other's half-made pins.
let tail: Promise<unknown> = Promise.resolve();

export function withKernelLock<T>(fn: () => Promise<T>): Promise<T> {
  const result = tail.then(fn, fn);
  tail = result.catch(() => undefined);
  return result;
}
