// Work a Slack listener carries on with after its ack (stop-all, a decision's
// Update, a run's start): the gateway's stop waits for it, up to a bound, so a
// gateway being stopped neither cuts a kill switch half-way nor leaves calls
// in flight on a Temporal connection its owner is about to close.
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** Count `work` as in flight until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = () => this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  /** Until everything in flight has settled or `timeoutMs` passed; how many are still going. */
  async settled(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.pending]), late]);
    clearTimeout(timer);
    return this.pending.size;
  }
}

/** `work`, counted in `inFlight` when the gateway keeps one (listener tests build contexts without it). */
export function tracked<T>(inFlight: InFlight | undefined, work: Promise<T>): Promise<T> {
  return inFlight ? inFlight.track(work) : work;
}
