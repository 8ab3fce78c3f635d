// The stand-in's ring buffer of flow events, like Hubble's: the newest
// `capacity` events, queried by time window or count, with followers that
// see new events as they arrive.
import type { FlowMessage } from './flows.ts';

export interface Stored extends FlowMessage {
  atMs: number;
}

export class FlowStore {
  private readonly items: Stored[] = [];
  private readonly followers = new Set<(item: Stored) => void>();
  readonly capacity: number;
  seen = 0;

  constructor(capacity = 65_536) {
    this.capacity = capacity;
  }

  push(messages: FlowMessage[], atMs = Date.now()): void {
    for (const m of messages) {
      const item = { ...m, atMs };
      this.items.push(item);
      this.seen++;
      for (const follow of this.followers) follow(item);
    }
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  get size(): number {
    return this.items.length;
  }

  /** Events in [since, until] (ms), oldest first. */
  window(sinceMs = 0, untilMs = Number.POSITIVE_INFINITY): Stored[] {
    return this.items.filter((i) => i.atMs >= sinceMs && i.atMs <= untilMs);
  }

  follow(listener: (item: Stored) => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }
}
