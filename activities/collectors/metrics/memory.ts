// Earlier scrapes, kept in the worker's memory, so a histogram quantile or a
// counter can cover a recent window instead of the whole process lifetime.
// Losing this memory (a worker restart) only widens the window: each answer
// says which window it covers.
import type { Scrape } from './prometheus.ts';

interface Kept {
  at: number;
  scrape: Scrape;
}

export interface Baseline {
  scrape: Scrape;
  /** How long before now the earlier scrape was taken. */
  ageMs: number;
}

export class ScrapeMemory {
  private readonly kept = new Map<string, Kept[]>();
  private readonly maxAgeMs: number;

  constructor(maxAgeMs = 30 * 60_000) {
    this.maxAgeMs = maxAgeMs;
  }

  /** Remember a scrape of `key` (an endpoint URL) taken at `at`. */
  remember(key: string, scrape: Scrape, at = Date.now()): void {
    const list = (this.kept.get(key) ?? []).filter((k) => at - k.at <= this.maxAgeMs);
    list.push({ at, scrape });
    this.kept.set(key, list.slice(-64));
  }

  /**
   * The oldest remembered scrape of `key` no older than `windowMs` and at least
   * `minAgeMs` old, or undefined when there is none.
   */
  baseline(key: string, windowMs: number, minAgeMs = 1000, now = Date.now()): Baseline | undefined {
    const found = (this.kept.get(key) ?? []).find((k) => now - k.at <= windowMs && now - k.at >= minAgeMs);
    return found ? { scrape: found.scrape, ageMs: now - found.at } : undefined;
  }
}
