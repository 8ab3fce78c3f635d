// The stand-in's ring buffer of flow events, like Hubble's: the newest
// `capacity` events, queried by time window or count, with followers that
// see new events as they arrive. A flow is dated by its last packet and
// stored a moment later (the next pass of flowtap), so events are kept in
// the order they were stored, and a question about a time window reads only
// the events stored from its start until its end plus the longest delay seen
// between a packet and its storing: a 5 s slice of a full buffer reads a few
// thousand events, not all of them.
import type { FlowMessage } from './flows.ts';

export interface Stored extends FlowMessage {
  atMs: number;
}

/** How far past capacity the buffer grows before its oldest events are let go in one cut. */
const SLACK = 4096;

export class FlowStore {
  private items: Stored[] = [];
  /** When each item was stored, ms: never decreasing. */
  private stored: number[] = [];
  /** The longest an item was stored after its time, ms. */
  private delay = 0;
  private readonly followers = new Set<(item: Stored) => void>();
  readonly capacity: number;
  seen = 0;

  constructor(capacity = 65_536) {
    this.capacity = capacity;
  }

  push(messages: FlowMessage[], atMs = Date.now(), now = Date.now()): void {
    const storedAt = Math.max(now, this.stored[this.stored.length - 1] ?? now);
    this.delay = Math.max(this.delay, storedAt - atMs);
    for (const m of messages) {
      const item = { ...m, atMs };
      this.items.push(item);
      this.stored.push(storedAt);
      this.seen++;
      for (const follow of this.followers) follow(item);
    }
    if (this.items.length > this.capacity + SLACK) {
      this.items = this.items.slice(-this.capacity);
      this.stored = this.stored.slice(-this.capacity);
    }
  }

  get size(): number {
    return Math.min(this.items.length, this.capacity);
  }

  /** Index of the first kept item stored at or after `ms`. */
  private firstStoredFrom(ms: number): number {
    let lo = Math.max(0, this.items.length - this.capacity);
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.stored[mid] ?? 0) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events in [since, until] (ms) that `keep` accepts, oldest first. */
  window(sinceMs = 0, untilMs = Number.POSITIVE_INFINITY, keep: (item: Stored) => boolean = () => true): Stored[] {
    // An event is stored no earlier than its time and at most `delay` after it.
    const from = this.firstStoredFrom(sinceMs);
    const to =
      untilMs === Number.POSITIVE_INFINITY ? this.items.length : this.firstStoredFrom(untilMs + this.delay + 1);
    const out: Stored[] = [];
    for (let i = from; i < to; i++) {
      const item = this.items[i] as Stored;
      if (item.atMs >= sinceMs && item.atMs <= untilMs && keep(item)) out.push(item);
    }
    return out;
  }

  /** The newest `count` events that `keep` accepts (the oldest `count` with `first`), oldest first. */
  take(count: number, keep: (item: Stored) => boolean, first = false): Stored[] {
    const out: Stored[] = [];
    const start = Math.max(0, this.items.length - this.capacity);
    if (first) {
      for (let i = start; i < this.items.length && out.length < count; i++)
        if (keep(this.items[i] as Stored)) out.push(this.items[i] as Stored);
      return out;
    }
    for (let i = this.items.length - 1; i >= start && out.length < count; i--)
      if (keep(this.items[i] as Stored)) out.push(this.items[i] as Stored);
    return out.reverse();
  }

  follow(listener: (item: Stored) => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }
}
