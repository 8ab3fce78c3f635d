// Reading a window of flows from Hubble Relay within the collector's time
// budget: a few focused questions instead of every flow, each window
// question asked newest end first in growing slices (the relay streams each answer
// oldest first, so a slow relay cut by the deadline would otherwise lose the
// newest flows, where a cut that has just begun shows; openings and DNS stop
// once enough are read), and how far each
// answer reached, so an opening whose reply was never read is not taken for
// one that got none.
import { judgedAt, namespaceFilters, type FlowAnswer, type FlowFilter, type HubbleClient } from '../../hubble/index.ts';
import { errorText, type Budget } from '../result.ts';

/** Kept back from the relay's answers for summarising them (thousands of flows), so the collector answers in time. */
export const SUMMARY_MS = 500;
/** Every HTTP status class: Hubble's filter for L7 responses (requests have no code). */
export const HTTP_RESPONSES = ['1+', '2+', '3+', '4+', '5+'];
/**
 * Each window question is asked newest first, this much of the window first
 * and then twice as much each time (5, 10, 20 s …): a cut by the deadline
 * still keeps the newest end, and a 30 s window takes three requests, not six.
 * A question that stops at enough sizes its next slice by the rate instead
 * (`nextSlice`).
 */
export const SLICE_MS = 5000;
/**
 * Connection openings and DNS are read newest first until this many flows:
 * plenty to judge which got an answer, and a busy namespace's 30 s of them
 * (the lab's: 9,000 DNS and 6,000 SYN/RST flows) is most of what the
 * collector reads. A quiet namespace's are read over the whole window.
 */
export const ENOUGH_FLOWS = 2000;
/** The shortest slice asked for when sizing one by the rate seen (below it a request costs more than its flows). */
export const MIN_SLICE_MS = 1000;

/**
 * The next, older slice: twice the last, or, for a question that stops at
 * `enough`, only as long as the flows still missing should take at the rate
 * read so far (a quarter more, for an uneven rate). Doubling alone would read
 * a busy namespace's next 10 s to find its last few hundred openings.
 */
export function nextSlice(last: number, read: number, readMs: number, enough?: number): number {
  const doubled = last * 2;
  if (enough === undefined || read === 0 || read >= enough || readMs <= 0) return doubled;
  const perMs = read / readMs;
  return Math.min(doubled, Math.max(MIN_SLICE_MS, Math.ceil(((enough - read) / perMs) * 1.25)));
}

export interface RelayQuestions {
  namespace?: string;
  /** Most flows read per question. */
  maxFlows: number;
  /**
   * How many of the newest forwarded flows the window's questions do not ask
   * for (kept-alive connections' packets, HTTP requests) complete the traffic
   * picture (0: none).
   */
  recentFlows: number;
  /** Openings and DNS are read newest first until this many flows (`ENOUGH_FLOWS` by default). */
  enoughFlows?: number;
  /** The questions asked over the window (`windowQuestions` by default). */
  windowQuestions?: WindowQuestion[];
}

/** A question over the window: a whitelist of Hubble filters. */
export interface WindowQuestion {
  whitelist: FlowFilter[];
  /** Stop reading older slices once this many flows are read (the rest of the window is not needed). */
  enough?: number;
}

/** The window's questions about a namespace (or everything). */
export function windowQuestions(namespace?: string, enough = ENOUGH_FLOWS): WindowQuestion[] {
  const filters = (extra: FlowFilter) => (namespace ? namespaceFilters(namespace, extra) : [extra]);
  return [
    { whitelist: filters({ verdict: ['DROPPED'] }) },
    // HTTP answers only: the summary counts responses (a request carries no code), and they are half the L7 flows.
    { whitelist: filters({ protocol: ['http'], http_status_code: HTTP_RESPONSES }) },
    // Connection openings and their answers (SYN, SYN-ACK, RST), and DNS both ways.
    { whitelist: filters({ tcp_flags: [{ SYN: true }, { RST: true }] }), enough },
    {
      whitelist: [...filters({ destination_port: ['53'] }), ...filters({ source_port: ['53'] })],
      enough,
    },
  ];
}

export interface RelayReading extends FlowAnswer {
  /**
   * How far the answer that brought each flow reached (by uuid, ms): an
   * opening is judged there, since its reply would have come in the same
   * answer. Flows without a uuid are judged at `reachedAt`.
   */
  reach: Map<string, number>;
  reachedAt: number;
  /** From when every question was read to the window's end (later than `since` when one was cut). */
  readFrom: number;
  /** From when the questions that had read enough were read (openings and DNS of a busy namespace). */
  enoughFrom?: number;
  /** Questions that failed, in words (the reading covers the rest). */
  errors: string[];
  questions: number;
}

/** A part of an answer: its flows and the moment it reached. */
interface Part extends FlowAnswer {
  reach: number;
}

/** A question's parts, and from when it was read. */
interface Reading {
  parts: Part[];
  readFrom: number;
  enoughFrom?: number;
}

/** The newest flow of an answer cut short: nothing after it was read. */
function newestOf(records: FlowAnswer['records']): number {
  let newest = -Infinity;
  for (const r of records) if (r.time) newest = Math.max(newest, Date.parse(r.time) || -Infinity);
  return newest;
}

/**
 * The relay's answers to the window's questions. Rejects only when no
 * question got an answer.
 */
export async function readRelay(
  hubble: HubbleClient,
  q: RelayQuestions,
  since: Date,
  time: Budget,
  now = Date.now(),
): Promise<RelayReading> {
  const filters = (extra: FlowFilter) => (q.namespace ? namespaceFilters(q.namespace, extra) : [extra]);
  const options = { deadline: time.deadline - SUMMARY_MS, signal: time.signal };

  /** One question over [since, now] in growing slices from the newest end, until done, cut, full or enough. */
  const sliced = async ({ whitelist, enough }: WindowQuestion): Promise<Reading> => {
    const parts: Part[] = [];
    let read = 0;
    for (let end = now, slice = SLICE_MS; end > since.getTime();) {
      if (enough !== undefined && read >= enough) return { parts, readFrom: since.getTime(), enoughFrom: end };
      const start = Math.max(since.getTime(), end - slice);
      const left = q.maxFlows - read;
      if (left <= 0) return { parts, readFrom: end };
      const answer = await hubble
        .getFlows({ since: new Date(start), until: new Date(end), whitelist }, { ...options, maxFlows: left })
        .catch((err: unknown) => {
          if (parts.length === 0) throw err;
          return undefined; // an older slice that failed: the newer ones stand
        });
      if (!answer) return { parts, readFrom: end };
      read += answer.records.length;
      // Whole: its openings' replies are in it or in a newer slice, all read (judged below, at the end).
      parts.push({ ...answer, reach: answer.truncated ? newestOf(answer.records) : Number.NaN });
      if (answer.truncated) return { parts, readFrom: end };
      end = start;
      slice = nextSlice(slice, read, now - end, enough);
    }
    return { parts, readFrom: since.getTime() };
  };
  const asked = q.windowQuestions ?? windowQuestions(q.namespace, q.enoughFlows);
  // The rest of the traffic picture: the newest forwarded flows no question asks for (as `hubble observe
  // --last N` with the questions as its blacklist), kept to the window. Without the blacklist most of them
  // would be openings and DNS read again (all but a few hundred of the lab's newest 2,000).
  const sample = async (): Promise<Reading> => {
    const answer = await hubble.getFlows(
      {
        number: q.recentFlows,
        whitelist: filters({ verdict: ['FORWARDED'] }),
        blacklist: asked.flatMap((question) => question.whitelist),
      },
      { ...options, maxFlows: q.recentFlows + 1 },
    );
    const records = answer.records.filter((r) => !r.time || Date.parse(r.time) >= since.getTime());
    const reach = answer.truncated ? newestOf(answer.records) : Number.NaN;
    return { parts: [{ ...answer, records, reach }], readFrom: since.getTime() };
  };

  const questions = [...asked.map(sliced), ...(q.recentFlows ? [sample()] : [])];
  const settled = await Promise.allSettled(questions);
  const answered = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [errorText(s.reason)] : []));
  if (answered.length === 0) throw new Error(errors[0] ?? 'no answer');

  const parts = answered.flatMap((a) => a.parts);
  const enoughFrom = answered.flatMap((a) => (a.enoughFrom === undefined ? [] : [a.enoughFrom]));
  const all = parts.flatMap((p) => p.records);
  // A whole part reaches as far as the relay has shown (the newest flow, or the clock once it has been quiet).
  const reachedAt = judgedAt(all, Date.now());
  const seen = new Set<string>();
  const records = all.filter((r) => !r.uuid || (!seen.has(r.uuid) && seen.add(r.uuid)));
  // A flow two answers brought is judged by the one that reached further.
  const reach = new Map<string, number>();
  for (const part of parts) {
    const reached = Number.isNaN(part.reach) ? reachedAt : part.reach;
    for (const r of part.records) if (r.uuid) reach.set(r.uuid, Math.max(reach.get(r.uuid) ?? -Infinity, reached));
  }
  return {
    records,
    lost: Math.max(0, ...parts.map((p) => p.lost)),
    truncated: parts.some((p) => p.truncated),
    reach,
    reachedAt,
    readFrom: Math.max(since.getTime(), ...answered.map((a) => a.readFrom)),
    ...(enoughFrom.length ? { enoughFrom: Math.max(...enoughFrom) } : {}),
    errors,
    questions: settled.length,
  };
}
