// Showing back what a person typed (or an error that quotes it): short, and
// escaped, so a reply can neither mention (`<!channel>`) nor link.
import { escapeSlack } from '../../../activities/index.ts';

export function echo(text: string, max = 60): string {
  return escapeSlack(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

/** An error's message as a reply may show it. */
export function echoError(err: unknown, max = 500): string {
  return echo(err instanceof Error ? err.message : String(err), max);
}
