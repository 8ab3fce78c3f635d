// Is this moment inside a blackout window? Pure; the workflow asks it with
// workflow time, so a replay gets the same answer.
import type { Blackout } from './experiment.ts';

const WEEKDAY_INDEX: Record<string, string> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

/** Weekday and minutes since midnight of `at` in a time zone. */
function local(at: Date, timezone: string): { weekday: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: WEEKDAY_INDEX[get('weekday')] ?? '', minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The blackout `at` falls in, described for a person, or undefined. */
export function activeBlackout(blackouts: readonly Blackout[], at: Date): string | undefined {
  for (const blackout of blackouts) {
    if ('from' in blackout) {
      if (at >= new Date(blackout.from) && at < new Date(blackout.to)) {
        return `blackout ${blackout.from} → ${blackout.to}${blackout.reason ? ` (${blackout.reason})` : ''}`;
      }
      continue;
    }
    const { weekday, minutes } = local(at, blackout.timezone);
    const start = minutesOf(blackout.start);
    const end = minutesOf(blackout.end);
    // A window like 22:00-06:00 wraps past midnight.
    const inside = start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
    if (blackout.weekdays.includes(weekday as never) && inside) {
      return `blackout every ${blackout.weekdays.join(', ')} ${blackout.start}-${blackout.end} ${blackout.timezone}${blackout.reason ? ` (${blackout.reason})` : ''}`;
    }
  }
  return undefined;
}
